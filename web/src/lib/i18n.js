// The pages speak Chinese or English: the browser's language chooses, the person may switch,
// and the choice is remembered in this browser.
import { signal } from './signal.js';

const messages = {
  'zh-CN': {
    appName: 'openpan 企业网盘',
    language: '语言',
    signIn: '登录',
    signingIn: '正在登录…',
    signOut: '退出登录',
    login: '邮箱或手机号',
    password: '密码',
    myFiles: '我的文件',
    admin: '企业管理',
    newFolder: '新建文件夹',
    folderName: '文件夹名称',
    create: '创建',
    cancel: '取消',
    upload: '上传文件',
    dropHere: '把文件拖到这里上传',
    uploading: '正在上传 {name}',
    uploaded: '已上传 {name}',
    name: '名称',
    size: '大小',
    modified: '修改时间',
    actions: '操作',
    open: '打开',
    preview: '预览',
    download: '下载',
    rename: '重命名',
    newName: '新名称',
    save: '保存',
    trash: '删除',
    confirmTrash: '把“{name}”移到回收站？',
    empty: '这个文件夹是空的',
    loading: '加载中…',
    breadcrumb: '位置',
    folder: '文件夹',
    file: '文件',
    close: '关闭',
    previewPending: '正在生成预览，请稍候…',
    previewUnavailable: '此文件不能预览，请下载后查看。',
    previewExpired: '预览链接无效或已过期。',
    previewCut: '文件太长，只显示了开头部分，请下载查看全部内容。',
    error: '出错了：{message}',
  },
  en: {
    appName: 'openpan drive',
    language: 'Language',
    signIn: 'Sign in',
    signingIn: 'Signing in…',
    signOut: 'Sign out',
    login: 'Email or phone',
    password: 'Password',
    myFiles: 'My files',
    admin: 'Administration',
    newFolder: 'New folder',
    folderName: 'Folder name',
    create: 'Create',
    cancel: 'Cancel',
    upload: 'Upload files',
    dropHere: 'Drop files here to upload',
    uploading: 'Uploading {name}',
    uploaded: 'Uploaded {name}',
    name: 'Name',
    size: 'Size',
    modified: 'Modified',
    actions: 'Actions',
    open: 'Open',
    preview: 'Preview',
    download: 'Download',
    rename: 'Rename',
    newName: 'New name',
    save: 'Save',
    trash: 'Delete',
    confirmTrash: 'Move “{name}” to the trash?',
    empty: 'This folder is empty',
    loading: 'Loading…',
    breadcrumb: 'Location',
    folder: 'Folder',
    file: 'File',
    close: 'Close',
    previewPending: 'The preview is being made, one moment…',
    previewUnavailable: 'This file cannot be previewed; download it to open it.',
    previewExpired: 'This preview link is invalid or has expired.',
    previewCut: 'The file is long: only its beginning is shown. Download it to read all of it.',
    error: 'Something went wrong: {message}',
  },
};

export const languages = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en', label: 'English' },
];

const STORE = 'openpan.lang';

// Storage may be refused (a page framed by another site, a private window): the choice is
// then kept for this page only.
function remembered() {
  try {
    return localStorage.getItem(STORE);
  } catch {
    return null;
  }
}

function initial() {
  const stored = remembered();
  if (stored && messages[stored]) return stored;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const language of wanted) {
    if (language.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (language.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

export const lang = signal(initial());
document.documentElement.lang = lang.value;

export function setLang(code) {
  if (!messages[code]) return;
  try {
    localStorage.setItem(STORE, code);
  } catch {
    // Kept for this page only.
  }
  document.documentElement.lang = code;
  lang.value = code;
}

/// The message `key` in the chosen language, with `{name}` placeholders filled from `vars`.
export function t(key, vars = {}) {
  const text = messages[lang.value][key] ?? messages.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}
