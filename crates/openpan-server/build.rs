// The console's pages are embedded from web/dist: a rebuilt page (a file added, not only one
// changed) rebuilds this crate.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
