//! The report reads of the hourly rollups (see [`sql_store!`](crate::sql_store)): the functions
//! take the backend's pool type.

#[doc(hidden)]
#[macro_export]
macro_rules! report_queries {
    ($pool:ty) => {
        fn report_db_error(error: sqlx::Error) -> $crate::sql::prelude::StoreError {
            $crate::sql::prelude::map_sqlx_error(error, "value")
        }

        pub async fn counters_by_channel(
            pool: &$pool,
            campaign_id: i64,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<(String, $crate::sql::prelude::Counters)>, $crate::sql::prelude::StoreError>
        {
            let rows: Vec<$crate::sql::prelude::KeyedCounters> =
                sqlx::query_as(&$crate::sql::prelude::rollup_sql::by_channel())
                    .bind(campaign_id)
                    .bind(hours.start)
                    .bind(hours.end)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows.into_iter().map(|r| (r.key, r.counters)).collect())
        }

        pub async fn counters_by_hour(
            pool: &$pool,
            campaign_id: i64,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<(i64, $crate::sql::prelude::Counters)>, $crate::sql::prelude::StoreError> {
            let rows: Vec<$crate::sql::prelude::HourCounters> =
                sqlx::query_as(&$crate::sql::prelude::rollup_sql::by_hour())
                    .bind(campaign_id)
                    .bind(hours.start)
                    .bind(hours.end)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows.into_iter().map(|r| (r.hour, r.counters)).collect())
        }

        pub async fn dimension_counts(
            pool: &$pool,
            campaign_id: i64,
            dimension: $crate::sql::prelude::Dimension,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<$crate::sql::prelude::DimensionCount>, $crate::sql::prelude::StoreError> {
            sqlx::query_as($crate::sql::prelude::rollup_sql::DIMENSION)
                .bind(campaign_id)
                .bind(dimension.as_str())
                .bind(hours.start)
                .bind(hours.end)
                .fetch_all(pool)
                .await
                .map_err(report_db_error)
        }

        pub async fn visitors_by_day(
            pool: &$pool,
            campaign_id: i64,
            event: fanfare_core::fan::VisitorEvent,
            from: chrono::NaiveDate,
            to: chrono::NaiveDate,
        ) -> Result<Vec<(chrono::NaiveDate, u64)>, $crate::sql::prelude::StoreError> {
            let rows: Vec<(chrono::NaiveDate, i64)> =
                sqlx::query_as($crate::sql::prelude::rollup_sql::VISITORS_BY_DAY)
                    .bind(campaign_id)
                    .bind(event.as_str())
                    .bind(from)
                    .bind(to)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows
                .into_iter()
                .map(|(day, n)| (day, n.unsigned_abs()))
                .collect())
        }
    };
}
