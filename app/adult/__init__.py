"""成人高考 (adult higher education entrance exam): preference and confirmation-point rules,
the candidate's integrity pledge and demo data."""
