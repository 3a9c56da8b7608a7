-- Price alerts. threshold is cents for the conditions 'above' and 'below',
-- basis points of change since the previous close for the change_pct ones.
-- A triggered alert records the tick that fired it: its price (cents), its
-- per-symbol seq and its time (Unix ms); an active one has none of them.

CREATE TABLE alerts (
	id                    INTEGER PRIMARY KEY,
	account_id            INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	symbol                TEXT    NOT NULL,
	condition             TEXT    NOT NULL
		CHECK (condition IN ('above', 'below', 'change_pct_above', 'change_pct_below')),
	threshold             INTEGER NOT NULL,
	status                TEXT    NOT NULL CHECK (status IN ('active', 'triggered')),
	created_at            INTEGER NOT NULL,
	triggered_price_cents INTEGER,
	triggered_seq         INTEGER,
	triggered_at          INTEGER,
	CHECK ((status = 'active') = (triggered_at IS NULL))
) STRICT;

CREATE INDEX alerts_account ON alerts (account_id, id DESC);
CREATE INDEX alerts_active ON alerts (account_id) WHERE status = 'active';
