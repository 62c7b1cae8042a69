{{ latest_delivered_rows(ref('stg_gso__vital_rates'), ['year', 'province_code', 'admin_code_version']) }}
