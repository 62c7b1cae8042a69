{{ latest_delivered_rows(ref('stg_moh__births'), ['notification_id']) }}
