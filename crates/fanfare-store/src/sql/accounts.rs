//! Console users and their sessions.
//!
//! Expanded once in each SQL backend by [`sql_store!`](crate::sql_store); the functions take the
//! backend's store and run the same SQL on either dialect.

#[doc(hidden)]
#[macro_export]
macro_rules! account_queries {
    () => {
        const USER_COLUMNS: &str =
            "id, email, role, password_hash, invite_expires_at, created_at";

        pub async fn create_user(store: &Backend, user: &NewUser) -> Result<User, StoreError> {
            let row: StoredUser = sqlx::query_as(&format!(
                "INSERT INTO users (email, role, password_hash, invite_hash, invite_expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
            ))
            .bind(&user.email)
            .bind(user.role.as_str())
            .bind(user.password_hash.as_deref())
            .bind(user.invite.as_ref().map(|i| i.token_hash.as_str()))
            .bind(user.invite.as_ref().map(|i| i.expires_at))
            .bind(now())
            .fetch_one(&store.pool)
            .await
            .map_err(|e| map_sqlx_error(e, "email"))?;
            row.into_user()
        }

        pub async fn find_user(store: &Backend, id: i64) -> Result<Option<User>, StoreError> {
            let row: Option<StoredUser> =
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&store.pool)
                    .await
                    .map_err(db_error)?;
            row.map(StoredUser::into_user).transpose()
        }

        pub async fn find_user_by_email(
            store: &Backend,
            email: &str,
        ) -> Result<Option<User>, StoreError> {
            let row: Option<StoredUser> =
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
                    .bind(email)
                    .fetch_optional(&store.pool)
                    .await
                    .map_err(db_error)?;
            row.map(StoredUser::into_user).transpose()
        }

        pub async fn find_user_by_invite(
            store: &Backend,
            token_hash: &str,
        ) -> Result<Option<User>, StoreError> {
            let row: Option<StoredUser> = sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE invite_hash = $1 AND invite_expires_at > $2"
            ))
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredUser::into_user).transpose()
        }

        pub async fn list_users(store: &Backend) -> Result<Vec<User>, StoreError> {
            let rows: Vec<StoredUser> =
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))
                    .fetch_all(&store.pool)
                    .await
                    .map_err(db_error)?;
            rows.into_iter().map(StoredUser::into_user).collect()
        }

        pub async fn set_user_role(
            store: &Backend,
            id: i64,
            role: Role,
        ) -> Result<Option<User>, StoreError> {
            let row: Option<StoredUser> = sqlx::query_as(&format!(
                "UPDATE users SET role = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"
            ))
            .bind(id)
            .bind(role.as_str())
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredUser::into_user).transpose()
        }

        pub async fn set_user_password(
            store: &Backend,
            id: i64,
            password_hash: &str,
            keep_session: Option<&str>,
        ) -> Result<bool, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            let updated = sqlx::query(
                "UPDATE users SET password_hash = $2, invite_hash = NULL, invite_expires_at = NULL \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
            // Whoever knew the old password is logged out everywhere else.
            sqlx::query("DELETE FROM admin_sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            Ok(updated == 1)
        }

        pub async fn set_user_invite(
            store: &Backend,
            id: i64,
            invite: &Invite,
        ) -> Result<bool, StoreError> {
            sqlx::query("UPDATE users SET invite_hash = $2, invite_expires_at = $3 WHERE id = $1")
                .bind(id)
                .bind(&invite.token_hash)
                .bind(invite.expires_at)
                .execute(&store.pool)
                .await
                .map(|done| done.rows_affected() == 1)
                .map_err(db_error)
        }

        pub async fn delete_user(store: &Backend, id: i64) -> Result<bool, StoreError> {
            let mut tx = store.pool.begin().await.map_err(db_error)?;
            sqlx::query("DELETE FROM admin_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
            tx.commit().await.map_err(db_error)?;
            Ok(deleted == 1)
        }

        pub async fn create_admin_session(
            store: &Backend,
            session: &NewAdminSession,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO admin_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&session.token_hash)
            .bind(session.user_id)
            .bind(&session.csrf_token)
            .bind(now())
            .bind(session.expires_at)
            .execute(&store.pool)
            .await
            .map(drop)
            .map_err(db_error)
        }

        pub async fn find_admin_session(
            store: &Backend,
            token_hash: &str,
        ) -> Result<Option<AdminSession>, StoreError> {
            let row: Option<StoredSession> = sqlx::query_as(
                "SELECT s.token_hash, s.csrf_token, s.expires_at, u.id, u.email, u.role, \
                 u.password_hash, u.invite_expires_at, u.created_at \
                 FROM admin_sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&store.pool)
            .await
            .map_err(db_error)?;
            row.map(StoredSession::into_session).transpose()
        }

        pub async fn delete_admin_session(
            store: &Backend,
            token_hash: &str,
        ) -> Result<(), StoreError> {
            // Expired sessions go at the same time.
            sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1 OR expires_at <= $2")
                .bind(token_hash)
                .bind(now())
                .execute(&store.pool)
                .await
                .map(drop)
                .map_err(db_error)
        }
    };
}
