-- idgate schema v5: each tenant's decision policy (JSON of idgate_core's `session::decision::Policy`;
-- NULL means the default: checks that cannot be made send the session to manual analysis).
ALTER TABLE tenants ADD COLUMN decision_policy TEXT;
