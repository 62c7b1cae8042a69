-- The current MOJ records of all three event types in one shape, with the event date, the delay
-- and the timeliness computed from the dates (never taken from the source).
{{ moj_registrations(
    ref('int_moj__births_current'),
    ref('int_moj__deaths_current'),
    ref('int_moj__marriages_current'),
) }}
