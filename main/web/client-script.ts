/**
 * @module The pages' only script: progressive enhancement for "Copy" buttons next to pull
 * commands. Without it the pages work the same (the command text selects in one click); the
 * buttons are rendered `hidden` and this script reveals them.
 */
export const CLIENT_SCRIPT = `
(function () {
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'absolute';
    area.style.left = '-9999px';
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var label = button.textContent;
      copy(button.getAttribute('data-copy') || '').then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
`;
