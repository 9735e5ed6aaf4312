//! Fills a campaign with fans and their links straight through SQL (the API would take an hour
//! for a million), in batches, on SQLite or PostgreSQL.

use rand::Rng;
use sqlx::Connection;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Adds `fans` fans with personal links to campaign `slug`; returns their link keys.
pub async fn seed(database_url: &str, slug: &str, fans: usize) -> anyhow::Result<Vec<String>> {
    let keys: Vec<String> = (0..fans).map(|_| random_code(8)).collect();
    let refs: Vec<String> = (0..fans).map(|_| random_code(10)).collect();
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await?;
        let campaign: i64 = sqlx::query_scalar("SELECT id FROM campaigns WHERE slug = ?")
            .bind(slug)
            .fetch_one(&mut conn)
            .await?;
        let mut tx = conn.begin().await?;
        for (key_chunk, ref_chunk) in keys.chunks(400).zip(refs.chunks(400)) {
            let rows = vec!["(?, ?, 'Fan', 0, '[]', '2026-01-01 00:00:00+00:00')"; ref_chunk.len()]
                .join(", ");
            let sql = format!(
                "INSERT INTO fans (campaign_id, ref_code, name, depth, flags, joined_at) VALUES {rows} RETURNING id"
            );
            let mut insert = sqlx::query_scalar::<_, i64>(&sql);
            for r in ref_chunk {
                insert = insert.bind(campaign).bind(r);
            }
            let ids = insert.fetch_all(&mut *tx).await?;
            let rows = vec!["(?, ?, ?, '2026-01-01 00:00:00+00:00')"; ids.len()].join(", ");
            let sql =
                format!("INSERT INTO links (key, campaign_id, fan_id, created_at) VALUES {rows}");
            let mut links = sqlx::query(&sql);
            for (key, id) in key_chunk.iter().zip(ids) {
                links = links.bind(key).bind(campaign).bind(id);
            }
            links.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await?;
        let campaign: i64 = sqlx::query_scalar("SELECT id FROM campaigns WHERE slug = $1")
            .bind(slug)
            .fetch_one(&mut conn)
            .await?;
        for (key_chunk, ref_chunk) in keys.chunks(20_000).zip(refs.chunks(20_000)) {
            let mut tx = conn.begin().await?;
            sqlx::query(
                "INSERT INTO fans (campaign_id, ref_code, name, depth, flags, joined_at) \
                 SELECT $1, r, 'Fan', 0, '[]'::jsonb, now() FROM UNNEST($2::text[]) AS r",
            )
            .bind(campaign)
            .bind(ref_chunk)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO links (key, campaign_id, fan_id, created_at) \
                 SELECT v.k, $1, f.id, now() FROM UNNEST($2::text[], $3::text[]) AS v(k, r) \
                 JOIN fans f ON f.ref_code = v.r",
            )
            .bind(campaign)
            .bind(key_chunk)
            .bind(ref_chunk)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
    }
    Ok(keys)
}
