/*
 * Passkeys in the browser (WebAuthn): adding one on "Your passkeys", and signing a decision
 * with one on the review screen. The server makes the options and checks every answer; this
 * script only carries them between the server and the physician's device.
 *
 * - A form with [data-passkey-register] asks the server for options (POST action=options),
 *   lets the device create a passkey, puts its JSON in the form's "credential" field and
 *   submits the form (with the name and password typed in it).
 * - A button with [data-passkey-sign] asks the server (its data-options-url) for the options
 *   of the decision chosen in its form, lets the device sign them, puts the answer in the
 *   form's "passkey_assertion" field and submits the form.
 */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return publicKey;
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return publicKey;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(json);
  }

  function post(url, form, fields) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.keys(fields).forEach(function (name) {
      data.append(name, fields[name]);
    });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin" }).then(
      function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || "The server refused the request.");
          }
          return body;
        });
      }
    );
  }

  function say(form, message) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = message;
      status.focus();
    }
  }

  function register(form) {
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) {
        return; // the device answered: the server checks it
      }
      event.preventDefault();
      if (!window.PublicKeyCredential) {
        say(form, "This browser cannot make passkeys. Try another browser or device.");
        return;
      }
      say(form, "Follow your device's instructions to make the passkey…");
      // form.getAttribute, not form.action: the form's field named "action" shadows it.
      post(form.getAttribute("action") || window.location.href, form, { action: "options" })
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          form.elements.credential.value = credentialJSON(credential);
          form.submit();
        })
        .catch(function (error) {
          say(form, "No passkey was added: " + error.message);
        });
    });
  }

  function sign(button) {
    var form = button.form;
    button.addEventListener("click", function () {
      var chosen = form.querySelector("input[name='decision']:checked");
      if (!chosen) {
        say(form, "Choose a decision first.");
        return;
      }
      if (!window.PublicKeyCredential) {
        say(form, "This browser cannot use passkeys: sign with your password.");
        return;
      }
      say(form, "Follow your device's instructions to sign…");
      post(button.getAttribute("data-options-url"), form, {
        decision: chosen.value,
        content_hash: form.elements.content_hash.value,
      })
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (assertion) {
          form.elements.passkey_assertion.value = credentialJSON(assertion);
          form.elements.password.value = "";
          form.submit();
        })
        .catch(function (error) {
          say(form, "Nothing was signed: " + error.message);
        });
    });
  }

  function start() {
    document.querySelectorAll("form[data-passkey-register]").forEach(register);
    document.querySelectorAll("[data-passkey-sign]").forEach(sign);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
