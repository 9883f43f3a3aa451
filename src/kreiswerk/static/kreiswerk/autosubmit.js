// Sends a form marked data-autosubmit at once (the SAML answer to the service); without JavaScript the button does it.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
