//! The explorer's entry point: mounts the app on the page (trunk builds this for wasm32).

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(bt_web::app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("bt-web is a browser app: build it with `trunk build --release` and open dist/index.html through a web server");
    std::process::exit(2);
}
