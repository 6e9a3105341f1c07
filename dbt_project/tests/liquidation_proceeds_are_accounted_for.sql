-- Every liquidation's proceeds are its sale value less the fee, and all of them went somewhere:
-- to interest, to principal or to the borrower (rows returned are failures).
select liquidation_id, sale_value_cents, fee_cents, proceeds_cents,
       interest_repaid_cents, principal_repaid_cents, surplus_cents
from {{ ref('liquidations') }}
where proceeds_cents <> sale_value_cents - fee_cents
   or interest_repaid_cents + principal_repaid_cents + surplus_cents <> proceeds_cents
