// The DevTools page only registers the panel; the panel page does the work.
browser.devtools.panels.create('WebSockets', '/icon/128.png', '/panel.html');
