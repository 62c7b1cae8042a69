{{ current_moj_records(ref('stg_moj__births')) }}
