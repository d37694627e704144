//! Previews: office documents seen as the PDF LibreOffice makes of them, pictures and PDFs
//! with thumbnails, text shown as text, the Java SDK's preview token and the viewer page's
//! info, watermarks, and who may preview.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, assert_transfer_error};
use crate::search::docx_with_text;

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 200])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// Asks `path` until it stops answering `preview_file_not_generated` (a conversion runs in
/// the background); returns the answer and whether it was pending at first.
async fn when_generated(app: &TestApp, token: &str, path: &str) -> (Value, bool) {
    let mut pending_first = None;
    for _ in 0..600 {
        let response = app.get(path, token).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            return (body, pending_first.unwrap_or(false));
        }
        assert_eq!(
            body["errors"][0]["code"], "preview_file_not_generated",
            "{path}: {body}"
        );
        assert_eq!(status, 400, "{body}");
        pending_first.get_or_insert(true);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{path} was never generated");
}

async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The text of a PDF, by poppler's `pdftotext`.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("preview.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_office_tools() {
    for program in ["soffice", "pdftoppm"] {
        assert!(
            openpan_preview::find_program(program).is_some(),
            "previews need {program}: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui \
             libreoffice-impress-nogui poppler-utils (.ci/run does)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_word_document_is_previewed_as_the_pdf_libreoffice_makes_of_it() {
    assert_office_tools();
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let docx = docx_with_text("季度报告 quarterly figures");
    let file = id(&app.upload(&token, 0, "季度报告.docx", &docx).await);

    let (preview, pending_first) = when_generated(&app, &token, &format!("/api/v2/file/{file}/preview")).await;
    assert!(
        pending_first,
        "the first look answers preview_file_not_generated while LibreOffice works"
    );
    assert_eq!(preview["kind"], "office");
    assert_eq!(preview["status"], "ready");
    assert_eq!(preview["name"], "季度报告.docx");
    assert_eq!(preview["is_current"], true);
    let content = fetch(&app, preview["content_url"].as_str().unwrap()).await;
    assert_eq!(header(&content, "content-type"), "application/pdf");
    assert!(header(&content, "content-disposition").starts_with("inline;"));
    let pdf = content.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf_text(&pdf).contains("quarterly figures"), "{}", pdf_text(&pdf));

    // The same PDF through `preview_download`, and a thumbnail of its first page.
    let download = app
        .get_ok(&format!("/api/v2/file/{file}/preview_download"), &token)
        .await;
    let again = fetch(&app, download["download_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, pdf);
    let (thumbnail, _) = when_generated(&app, &token, &format!("/api/v2/file/{file}/thumbnail")).await;
    let picture = fetch(&app, thumbnail["thumbnail_url"].as_str().unwrap()).await;
    assert_eq!(header(&picture, "content-type"), "image/png");
    let picture = image::load_from_memory(&picture.bytes().await.unwrap()).unwrap();
    assert_eq!(picture.height(), 256, "a portrait page is 256 pixels tall");
    assert!(picture.width() < 256);
}

#[tokio::test]
async fn a_copy_of_a_converted_document_is_previewed_at_once() {
    assert_office_tools();
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let docx = docx_with_text("the same bytes twice");
    let first = id(&app.upload(&token, 0, "a.docx", &docx).await);
    when_generated(&app, &token, &format!("/api/v2/file/{first}/preview")).await;
    let folder = id(&app.mkdir(&token, 0, "copies").await);
    let second = id(&app.upload(&token, folder, "b.docx", &docx).await);
    // Results are kept per content: the second file needs no conversion of its own.
    let preview = app.get_ok(&format!("/api/v2/file/{second}/preview"), &token).await;
    assert_eq!(preview["status"], "ready");
    // The older dialect's `file/convert` hands out the same PDF.
    let converted = app
        .post_ok(
            "/api/v1/file/convert",
            &token,
            &json!({"file_id": second, "target": "pdf"}),
        )
        .await;
    let pdf = fetch(&app, converted["download_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert!(pdf_text(&pdf).contains("the same bytes twice"));
}

#[tokio::test]
async fn a_picture_is_shown_as_itself_with_a_thumbnail() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let bytes = png(800, 400);
    let file = id(&app.upload(&token, 0, "风景.png", &bytes).await);

    let preview = app.get_ok(&format!("/api/v2/file/{file}/preview"), &token).await;
    assert_eq!(preview["kind"], "image");
    let content = fetch(&app, preview["content_url"].as_str().unwrap()).await;
    assert_eq!(header(&content, "content-type"), "image/png");
    assert_eq!(header(&content, "x-content-type-options"), "nosniff");
    assert_eq!(content.bytes().await.unwrap(), bytes);

    let (thumbnail, _) = when_generated(&app, &token, &format!("/api/v2/file/{file}/thumbnail")).await;
    let picture = fetch(&app, thumbnail["thumbnail_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    let picture = image::load_from_memory(&picture).unwrap();
    assert_eq!((picture.width(), picture.height()), (256, 128));
}

#[tokio::test]
async fn the_java_sdks_preview_token_opens_the_viewer_until_the_file_is_trashed() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let file = id(&app
        .upload(&token, 0, "README.md", b"# Title\n\n<script>alert(1)</script>\n")
        .await);

    // The Java SDK posts to `file//preview_token`.
    let answer = app
        .post_ok(
            "/api/v2/file//preview_token",
            &token,
            &json!({"file_id": file, "period": 600}),
        )
        .await;
    let preview_token = answer["preview_token"].as_str().unwrap().to_owned();
    assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");

    let info = app
        .public_json(&format!("/preview/info?preview_token={preview_token}"))
        .await;
    assert_eq!(info["kind"], "markdown");
    assert_eq!(info["status"], "ready");
    assert_eq!(info["file_id"], file);
    assert!(info["expires_at"].as_i64().unwrap() <= app.now() + 600);
    let content = fetch(&app, info["content_url"].as_str().unwrap()).await;
    // Text is shown as text, never run as a page.
    assert_eq!(header(&content, "content-type"), "text/plain; charset=utf-8");
    assert!(header(&content, "content-security-policy").contains("sandbox"));

    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &json!({}))
        .await;
    let gone = app
        .client
        .get(format!("{}/preview/info?preview_token={preview_token}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert_transfer_error(
        app.client
            .get(info["content_url"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
    let forged = preview_token.replace('.', ".0");
    let forged = app
        .client
        .get(format!("{}/preview/info?preview_token={forged}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
}

#[tokio::test]
async fn a_previewer_may_preview_what_they_may_not_download() {
    let app = TestApp::spawn().await;
    let owner = app.admin_user_token().await;
    let bob = app.create_user(&app.tenant, "Bob", "bob@example.com").await;
    let bob_token = app.user_token(&app.tenant, bob).await;
    let folder = id(&app.mkdir(&owner, 0, "共享").await);
    let file = id(&app.upload(&owner, folder, "notes.txt", b"line one\nline two\n").await);
    app.post_ok(
        "/api/v2/collab/invite",
        &owner,
        &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": bob, "role": "previewer"}}),
    )
    .await;

    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/download"), &bob_token).await,
        403,
        "permission_denied",
    )
    .await;
    let preview = app.get_ok(&format!("/api/v2/file/{file}/preview"), &bob_token).await;
    assert_eq!(preview["kind"], "text");
    let text = fetch(&app, preview["content_url"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, "line one\nline two\n");

    // Someone with no access at all gets nothing.
    let carol = app.create_user(&app.tenant, "Carol", "carol@example.com").await;
    let carol_token = app.user_token(&app.tenant, carol).await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/preview"), &carol_token).await,
        404,
        "file_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_department_that_asks_for_watermarks_gets_the_viewers_name_over_previews() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let dana = app.create_user(&app.tenant, "Dana", "dana@example.com").await;
    let dana_token = app.user_token(&app.tenant, dana).await;
    let file = id(&app.upload(&dana_token, 0, "plan.txt", b"plan").await);
    let preview = app.get_ok(&format!("/api/v2/file/{file}/preview"), &dana_token).await;
    assert_eq!(preview["watermark"], Value::Null);

    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "法务", "parent_id": 0, "enable_watermark": true}),
        )
        .await;
    app.post_ok(
        &format!("/api/v2/admin/department/{}/add_user", id(&department)),
        &admin,
        &json!({"user_id": dana}),
    )
    .await;
    let preview = app.get_ok(&format!("/api/v2/file/{file}/preview"), &dana_token).await;
    assert_eq!(preview["watermark"], "Dana dana@example.com");
}

#[tokio::test]
async fn what_cannot_be_previewed_says_so() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let file = id(&app.upload(&token, 0, "setup.exe", b"MZ").await);
    let body = assert_api_error(
        app.get(&format!("/api/v2/file/{file}/preview"), &token).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "id", "{body}");
    let info = app
        .post_ok("/api/v2/file/preview_token", &token, &json!({"file_id": file}))
        .await;
    let info = app
        .public_json(&format!(
            "/preview/info?preview_token={}",
            info["preview_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(info["kind"], Value::Null);
    assert_eq!(info["status"], "unavailable");
    assert_api_error(
        app.post(
            "/api/v2/file/preview_token",
            &token,
            &json!({"file_id": file, "period": 0}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
}
