// Pieces the console and the viewer share.
import { languages, lang, setLang, t } from './lib/i18n.js';
import { useSignal } from './lib/signal.js';

export function LanguagePicker() {
  const current = useSignal(lang);
  return (
    <label class="language">
      <span class="visually-hidden">{t('language')}</span>
      <select value={current} onChange={(event) => setLang(event.currentTarget.value)}>
        {languages.map((language) => (
          <option key={language.code} value={language.code}>
            {language.label}
          </option>
        ))}
      </select>
    </label>
  );
}
