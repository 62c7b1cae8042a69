{{ latest_delivered_rows(ref('stg_gso__population'), ['year', 'province_code', 'admin_code_version', 'sex', 'age_group']) }}
