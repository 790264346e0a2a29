-- Host-to-host partners: requests, deposits and callbacks.
SELECT 1;
