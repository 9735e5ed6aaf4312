-- A share is counted once per visitor, link, channel and hour: a visitor calling /share/{code}
-- a hundred times shared once (the other calls still redirect). Rows from before this have no
-- visitor, and NULLs never collide in a unique index.
ALTER TABLE shares ADD COLUMN visitor_hash TEXT;
ALTER TABLE shares ADD COLUMN hour INTEGER;
CREATE UNIQUE INDEX shares_once_per_visitor_and_hour ON shares (link_id, channel, visitor_hash, hour);
