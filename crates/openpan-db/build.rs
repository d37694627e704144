// `sqlx::migrate!` embeds the migration files at compile time; without this, adding a file
// would not rebuild the crate and the new migration would silently be missing.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
