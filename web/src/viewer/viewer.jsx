// The viewer itself: a preview token's file shown for its kind (an office document as the PDF
// made of it, PDFs, pictures, text, Markdown, code, audio, video), waiting while a conversion
// runs, with the watermark over it when the department asks. The viewer page and the
// embeddable previewer both show it.
import { useEffect, useState } from 'preact/hooks';
import MarkdownIt from 'markdown-it';
import { t, lang } from '../lib/i18n.js';
import { useSignal } from '../lib/signal.js';
import { LanguagePicker } from '../components.jsx';

// Raw HTML in Markdown is shown as text, and links to `javascript:` are dropped (the
// library's defaults, spelled out).
const markdown = new MarkdownIt({ html: false, linkify: true });

export function Viewer({ token }) {
  useSignal(lang);
  const [info, setInfo] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer;
    const look = async () => {
      const response = await fetch(`/preview/info?preview_token=${encodeURIComponent(token)}`);
      if (stopped) return;
      if (!response.ok) {
        setFailed(true);
        return;
      }
      const body = await response.json();
      setInfo(body);
      if (body.status === 'pending') timer = setTimeout(look, 1500);
    };
    look().catch(() => setFailed(true));
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [token]);

  if (failed) return <p class="notice" role="alert">{t('previewExpired')}</p>;
  if (!info) return <p class="notice">{t('loading')}</p>;
  return (
    <div class="viewer">
      <header class="viewer-bar">
        <h1 class="viewer-title">{info.name}</h1>
        <LanguagePicker />
      </header>
      <div class="viewer-body" data-kind={info.kind ?? 'none'} data-status={info.status}>
        <Content info={info} />
        {info.watermark && <Watermark text={info.watermark} />}
      </div>
    </div>
  );
}

function Content({ info }) {
  if (info.status === 'pending') return <p class="notice" role="status">{t('previewPending')}</p>;
  if (info.status !== 'ready') return <p class="notice">{t('previewUnavailable')}</p>;
  switch (info.kind) {
    case 'image':
      return <img class="viewer-image" src={info.content_url} alt={info.name} />;
    case 'pdf':
    case 'office':
      return <iframe class="viewer-frame" src={info.content_url} title={info.name} />;
    case 'audio':
      return <audio class="viewer-media" controls src={info.content_url} aria-label={info.name} />;
    case 'video':
      return <video class="viewer-media" controls src={info.content_url} aria-label={info.name} />;
    default:
      return <TextContent info={info} />;
  }
}

// Text past this is not shown (the page would not cope); the rest is a download away.
const TEXT_LIMIT = 2 * 1024 * 1024;

function TextContent({ info }) {
  const [text, setText] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const headers = info.size > TEXT_LIMIT ? { Range: `bytes=0-${TEXT_LIMIT - 1}` } : {};
    fetch(info.content_url, { headers })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(setText)
      .catch(() => setFailed(true));
  }, [info.content_url, info.size]);
  if (failed) return <p class="notice" role="alert">{t('previewExpired')}</p>;
  if (text === null) return <p class="notice">{t('loading')}</p>;
  const cut = info.size > TEXT_LIMIT && <p class="notice">{t('previewCut')}</p>;
  if (info.kind === 'markdown') {
    // markdown-it escapes every tag in the source (html: false), so this is its own markup.
    return (
      <>
        <article class="viewer-markdown" dangerouslySetInnerHTML={{ __html: markdown.render(text) }} />
        {cut}
      </>
    );
  }
  if (info.kind === 'code') {
    return (
      <>
        <ol class="viewer-code">
          {text.split('\n').map((line, index) => (
            <li key={index}>
              <code>{line}</code>
            </li>
          ))}
        </ol>
        {cut}
      </>
    );
  }
  return (
    <>
      <pre class="viewer-text">{text}</pre>
      {cut}
    </>
  );
}

function Watermark({ text }) {
  const stamp = `${text} ${new Date().toISOString().slice(0, 10)}`;
  return (
    <div class="watermark" aria-hidden="true" data-watermark={text}>
      {Array.from({ length: 24 }, (_, index) => (
        <span key={index}>{stamp}</span>
      ))}
    </div>
  );
}
