"""高考 electronic archive (seed 002): the physical examination entered from the paper
考生体格检查表 and the integrity (violation) records of 高考 candidates."""
