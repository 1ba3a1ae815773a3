/**
 * Where the mini-program finds the Red Station server.
 *
 * apiBase: the server's origin, no trailing slash. Development: the local server
 * (`scripts/serve`, http://127.0.0.1:5000; in WeChat DevTools tick 「不校验合法域名…」).
 * Production: the HTTPS origin listed as the mini-program's 「request 合法域名」 and
 * 「downloadFile 合法域名」 in the WeChat admin console (开发管理 → 开发设置 → 服务器域名).
 *
 * publicBaseUrls: the server's PUBLIC_BASE_URL (what printed codes point to,
 * `{PUBLIC_BASE_URL}/q/{token}`), and any earlier value still printed on signs. A scanned
 * link is ours only when it starts with one of these followed by `/q/`.
 */
module.exports = {
  apiBase: 'http://127.0.0.1:5000',
  publicBaseUrls: ['http://localhost:5000', 'http://127.0.0.1:5000'],
}
