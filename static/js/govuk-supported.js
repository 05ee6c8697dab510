// Loaded (not inline, for the Content-Security-Policy) at the top of <body>, before anything is drawn: tells
// GOV.UK Frontend's CSS that JavaScript runs, and that the browser supports ES modules.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
