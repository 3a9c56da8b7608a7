-- Accounts, sessions, positions, trades and watchlists.
-- Money is INTEGER cents, quantities are whole shares, times are Unix
-- milliseconds (UTC). STRICT tables refuse any value of another type.

CREATE TABLE accounts (
	id            INTEGER PRIMARY KEY,
	username      TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	cash_cents    INTEGER NOT NULL CHECK (cash_cents >= 0),
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	token_hash TEXT    PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE positions (
	account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	symbol           TEXT    NOT NULL,
	quantity         INTEGER NOT NULL CHECK (quantity > 0),
	cost_basis_cents INTEGER NOT NULL CHECK (cost_basis_cents >= 0),
	PRIMARY KEY (account_id, symbol)
) STRICT, WITHOUT ROWID;

CREATE TABLE trades (
	id               INTEGER PRIMARY KEY,
	account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	symbol           TEXT    NOT NULL,
	side             TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
	quantity         INTEGER NOT NULL CHECK (quantity > 0),
	price_cents      INTEGER NOT NULL CHECK (price_cents > 0),
	amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
	cash_after_cents INTEGER NOT NULL CHECK (cash_after_cents >= 0),
	created_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX trades_account ON trades (account_id, id DESC);

CREATE TABLE watchlist (
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	symbol     TEXT    NOT NULL,
	position   INTEGER NOT NULL,
	PRIMARY KEY (account_id, symbol)
) STRICT, WITHOUT ROWID;
