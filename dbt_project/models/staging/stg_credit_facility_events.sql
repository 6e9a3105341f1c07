{% set key = ['facility_id', 'sequence'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id'])
) }}

with source as (
    select * from {{ source('raw', 'credit_facility_events') }}
    {{ lana.new_rows_only() }}
)

select
    cast(id as {{ dbt.type_string() }}) as facility_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'customer_id') }} as customer_id,
    {{ lana.json_text('event', 'deposit_account_id') }} as deposit_account_id,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_int('event', 'terms.annual_rate_bps') }} as terms_annual_rate_bps,
    {{ lana.json_int('event', 'terms.duration_months') }} as terms_duration_months,
    {{ lana.json_int('event', 'terms.disbursal_fee_bps') }} as terms_disbursal_fee_bps,
    {{ lana.json_int('event', 'terms.initial_cvl_bps') }} as terms_initial_cvl_bps,
    {{ lana.json_int('event', 'terms.margin_call_cvl_bps') }} as terms_margin_call_cvl_bps,
    {{ lana.json_int('event', 'terms.liquidation_cvl_bps') }} as terms_liquidation_cvl_bps,
    {{ lana.json_int('event', 'terms.overdue_after_days') }} as terms_overdue_after_days,
    {{ lana.json_int('event', 'terms.defaulted_after_days') }} as terms_defaulted_after_days,
    {{ lana.json_text('event', 'action') }} as action,
    {{ lana.json_bigint('event', 'delta_sats') }} as delta_sats,
    {{ lana.json_bigint('event', 'collateral_sats') }} as collateral_sats,
    {{ lana.json_date('event', 'activated_on') }} as activated_on,
    {{ lana.json_date('event', 'maturity_date') }} as maturity_date,
    {{ lana.json_text('event', 'cycle_id') }} as cycle_id,
    {{ lana.json_int('event', 'idx') }} as idx,
    {{ lana.json_date('event', 'period_start') }} as period_start,
    {{ lana.json_date('event', 'period_end') }} as period_end,
    {{ lana.json_text('event', 'disbursal_id') }} as disbursal_id,
    {{ lana.json_text('event', 'obligation_id') }} as obligation_id,
    {{ lana.json_text('event', 'payment_id') }} as payment_id,
    {{ lana.json_bigint('event', 'interest_amount') }} as interest_amount,
    {{ lana.json_bigint('event', 'principal_amount') }} as principal_amount,
    {{ lana.json_text('event', 'state') }} as state,
    {{ lana.json_bigint('event', 'cvl_bps') }} as cvl_bps,
    {{ lana.json_bigint('event', 'price_cents') }} as price_cents,
    {{ lana.json_bigint('event', 'exposure') }} as exposure,
    {{ lana.json_bigint('event', 'collateral_released_sats') }} as collateral_released_sats,
    {{ lana.json_date('event', 'started_on') }} as started_on,
    {{ lana.json_text('event', 'liquidation_id') }} as liquidation_id,
    {{ lana.json_text('event', 'liquidation_trigger') }} as liquidation_trigger,
    {{ lana.json_date('event', 'liquidated_on') }} as liquidated_on,
    {{ lana.json_bigint('event', 'sats_sold') }} as sats_sold,
    {{ lana.json_bigint('event', 'sale_value') }} as sale_value,
    {{ lana.json_bigint('event', 'fee') }} as fee,
    {{ lana.json_bigint('event', 'proceeds') }} as proceeds,
    {{ lana.json_bigint('event', 'applied') }} as applied,
    {{ lana.json_bigint('event', 'surplus') }} as surplus,
    {{ lana.json_date('event', 'written_off_on') }} as written_off_on,
    {{ lana.json_text('event', 'write_off_reason') }} as write_off_reason,
    {{ lana.json_bigint('event', 'principal_written_off') }} as principal_written_off,
    {{ lana.json_bigint('event', 'interest_written_off') }} as interest_written_off,
    {{ lana.json_text('event', 'recovery_id') }} as recovery_id,
    {{ lana.json_date('event', 'recovered_on') }} as recovered_on,
    {{ lana.event_metadata_columns() }}
from source
