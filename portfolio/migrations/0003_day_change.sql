-- A position's trades in the market's current session, so its day change
-- can be measured from what was paid today rather than from the previous
-- close. day_session is the session of the position's last fill (the
-- market's simulated UTC day, days since the Unix epoch; 0 for none),
-- day_open_quantity the shares held when that session's first fill came,
-- day_net_cents the cost of that session's buys minus its sells' proceeds.

ALTER TABLE positions ADD COLUMN day_session INTEGER NOT NULL DEFAULT 0;
ALTER TABLE positions ADD COLUMN day_open_quantity INTEGER NOT NULL DEFAULT 0
	CHECK (day_open_quantity >= 0);
ALTER TABLE positions ADD COLUMN day_net_cents INTEGER NOT NULL DEFAULT 0;
