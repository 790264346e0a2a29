-- Audit trail of operator actions and indexes for the operator views.
SELECT 1;
