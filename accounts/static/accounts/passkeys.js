/*
 * Passkey ceremonies of the portal (templates/partials/passkey_*.html).
 *
 * A container [data-passkey="register"|"authenticate"] holds a button, a status region and
 * the URLs: data-begin, data-complete, data-next (where to go after a login step). The begin
 * endpoint answers WebAuthn options as JSON (base64url strings); this file converts them,
 * calls navigator.credentials.create/get, sends the answer back and follows "redirect".
 * Errors ({"error","detail"}) are shown in the container's role="alert" region.
 *
 * window.PortalPasskeys.authenticate({begin, complete, next}) is also used by the chat
 * step-up prompt (messaging/static/messaging/stepup.js): it resolves with the JSON answer.
 */
(function () {
  "use strict";

  function b64urlToBuf(value) {
    var s = value.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          if (!response.ok) {
            var err = new Error(data.detail || "The request was refused.");
            err.code = data.error || "error";
            throw err;
          }
          return data;
        },
        function () {
          var err = new Error("The server answered unexpectedly (" + response.status + ").");
          err.code = "bad_response";
          throw err;
        }
      );
    });
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: b64urlToBuf(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    var opts = Object.assign({}, o);
    opts.challenge = b64urlToBuf(o.challenge);
    opts.user = Object.assign({}, o.user, { id: b64urlToBuf(o.user.id) });
    opts.excludeCredentials = descriptors(o.excludeCredentials);
    return opts;
  }

  function requestOptions(o) {
    var opts = Object.assign({}, o);
    opts.challenge = b64urlToBuf(o.challenge);
    opts.allowCredentials = descriptors(o.allowCredentials);
    return opts;
  }

  // The JSON shape py_webauthn parses (the W3C "toJSON" of a PublicKeyCredential).
  function credentialJSON(cred, response) {
    return {
      id: cred.id,
      rawId: bufToB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: response,
    };
  }

  function registrationJSON(cred) {
    var r = cred.response;
    return credentialJSON(cred, {
      clientDataJSON: bufToB64url(r.clientDataJSON),
      attestationObject: bufToB64url(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [],
    });
  }

  function assertionJSON(cred) {
    var r = cred.response;
    return credentialJSON(cred, {
      clientDataJSON: bufToB64url(r.clientDataJSON),
      authenticatorData: bufToB64url(r.authenticatorData),
      signature: bufToB64url(r.signature),
      userHandle: r.userHandle ? bufToB64url(r.userHandle) : null,
    });
  }

  function withNext(url, next) {
    return next ? url + (url.indexOf("?") < 0 ? "?" : "&") + "next=" + encodeURIComponent(next) : url;
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials);
  }

  function notSupported() {
    var err = new Error("This browser cannot use passkeys here (it needs a secure https page).");
    err.code = "passkey_unsupported";
    return Promise.reject(err);
  }

  function browserError(e) {
    if (e && e.code) return e;
    var err = new Error(
      e && e.name === "NotAllowedError"
        ? "The passkey request was cancelled or timed out."
        : "Your browser could not use the passkey" + (e && e.message ? ": " + e.message : ".")
    );
    err.code = "passkey_cancelled";
    return err;
  }

  function register(cfg) {
    if (!supported()) return notSupported();
    return post(cfg.begin)
      .then(function (options) {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      })
      .catch(function (e) { throw browserError(e); })
      .then(function (cred) {
        var body = registrationJSON(cred);
        body.name = cfg.name || "";
        return post(cfg.complete, body);
      });
  }

  function authenticate(cfg) {
    if (!supported()) return notSupported();
    return post(cfg.begin)
      .then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .catch(function (e) { throw browserError(e); })
      .then(function (cred) {
        return post(withNext(cfg.complete, cfg.next), assertionJSON(cred));
      });
  }

  function bind(container) {
    var kind = container.getAttribute("data-passkey");
    var button = container.querySelector("button[data-passkey-start]");
    var status = container.querySelector("[data-passkey-status]");
    var nameInput = container.querySelector("input[data-passkey-name]");
    if (!button) return;
    // The button is rendered disabled: a click before this script has run would do nothing.
    button.disabled = false;
    button.addEventListener("click", function () {
      if (status) {
        status.textContent = "";
        status.hidden = true;
      }
      button.disabled = true;
      var cfg = {
        begin: container.getAttribute("data-begin"),
        complete: container.getAttribute("data-complete"),
        next: container.getAttribute("data-next") || "",
        name: nameInput ? nameInput.value : "",
      };
      var run = kind === "register" ? register(cfg) : authenticate(cfg);
      run.then(
        function (data) {
          window.location.assign(data.redirect || "/");
        },
        function (err) {
          button.disabled = false;
          if (status) {
            status.textContent = err.message;
            status.setAttribute("data-error-code", err.code || "error");
            status.hidden = false;
          }
        }
      );
    });
  }

  window.PortalPasskeys = { register: register, authenticate: authenticate, supported: supported };
  document.querySelectorAll("[data-passkey]").forEach(bind);
})();
