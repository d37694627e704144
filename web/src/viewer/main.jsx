// The viewer page (`/preview/preview.html`): the Java SDK's `?preview_token=…`, or the PHP
// SDK's `?file_id=…&access_token=…` (a user token, traded here for a preview token). Shows an
// office document as the PDF made of it, PDFs, pictures, text, Markdown, code, audio and video;
// waits while a conversion runs; lays the watermark over it when the department asks.
import { render } from 'preact';
import { t } from '../lib/i18n.js';
import { Viewer } from './viewer.jsx';
import '../style.css';

async function tokenFromQuery(query) {
  const token = query.get('preview_token');
  if (token) return token;
  const fileId = query.get('file_id');
  const accessToken = query.get('access_token');
  if (!fileId || !accessToken) return null;
  const response = await fetch('/api/v2/file/preview_token', {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ file_id: Number(fileId) }),
  });
  if (!response.ok) return null;
  return (await response.json()).preview_token;
}

async function start() {
  const token = await tokenFromQuery(new URLSearchParams(location.search));
  const root = document.getElementById('app');
  if (!token) {
    render(<p class="notice" role="alert">{t('previewExpired')}</p>, root);
    return;
  }
  render(<Viewer token={token} />, root);
}

start();
