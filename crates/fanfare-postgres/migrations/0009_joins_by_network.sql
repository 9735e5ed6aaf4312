-- The network a fan joined from (the address's /32 for IPv4, /64 for IPv6), hashed with the
-- day's salt like the visitor: many joins or referrals from one network in a day are flagged,
-- whatever user agent each one shows. Erased with the fan's other personal data.
ALTER TABLE fans ADD COLUMN network_hash TEXT;
CREATE INDEX fans_by_network ON fans (campaign_id, network_hash, joined_at);
