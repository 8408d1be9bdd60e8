//! Hands an [`Export`] to the browser as a file download.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use crate::export::Export;

/// Starts the download of `export` (a Blob URL clicked through a temporary link).
pub fn download(export: &Export) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&export.body));
    let options = BlobPropertyBag::new();
    options.set_type(export.mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let link: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(&export.name);
    link.click();
    Url::revoke_object_url(&url)
}
