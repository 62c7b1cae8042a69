-- Every single year of age the warehouse places in an age band: 0 to 120 completed years.
-- Older ages are implausible (the quality gate flags them) and fall to the UNKNOWN band.
select age_years
from generate_series(0, 120) as ages (age_years)
