{{ latest_delivered_rows(ref('stg_moh__deaths'), ['notification_id']) }}
