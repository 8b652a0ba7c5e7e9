"""URL walk tables of the phase conditions and the 成人高考 online payment (issue 18 items 3
and 5): the simulated provider's page takes an order (a made-up one here: refused, or 404
while the provider is the file import)."""

QUERIES = {"selfservice.adult_pay_sim": "order=walk"}
