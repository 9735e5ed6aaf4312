-- The click writer keeps a batch's counters (link_stats, campaign_hours, the click dimensions)
-- in memory and writes those of many batches at once; the raw click rows are committed with
-- every batch as before. Clicks with an id up to through_id are in the counters; at start-up,
-- the clicks after it (left uncounted by a crash) are counted from their rows.
CREATE TABLE click_counters (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    through_id INTEGER NOT NULL
) STRICT;
INSERT INTO click_counters (id, through_id) SELECT 1, COALESCE(MAX(id), 0) FROM clicks;
