# tower-authy's messages, English. Every id here exists in every shipped language (a unit
# test checks it). An application overrides any of them, or adds a language, with
# `TwoFactorBuilder::messages`.

## Shared words

field-email = Email
field-password = Password
field-code = Code
field-country-code = Country code
field-phone = Phone number
continue = Continue
back = Back
cancel = Cancel
back-to-login = Back to log in
send-sms = Send me an SMS
call-me = Call me
remember-device = Remember this device for { $days } days
app-label-authy = the Authy app
app-label-verify = your app
app-label-totp = your authenticator app
kind-push = push and codes on your phone
kind-app = codes from an authenticator app
kind-phone = codes by SMS or call
kind-passkey = a passkey or security key

## Log in

login-title = Log in
login-button = Log in
login-failed = Wrong email or password.

## Step-up and proving again

step-up-title = Confirm it is you
step-up-intro = This page needs a second step. We will send a request to { $app } on your phone.
step-up-button = Send the request
reprove-title = Prove it is you again
reprove-intro = This page needs the second step done recently. Use one of your ways to sign in once more, and you will be taken back.

## The second step (the waiting page)

second-step-title = Second step
push-waiting = Waiting for your approval. We sent a request to { $app } on your phone; check that it shows this code:
push-approved = Approved. Logging you in...
push-denied = The request was denied on your phone. Log in again to start over.
push-expired = The request expired. Log in again to start over.
push-ended = This login can no longer be used. Log in again.
push-i-approved = I approved it
start-again = Start again
code-instead = Or use a code instead
code-from-app-or-sms = Enter the code from { $app } or the SMS
code-from-app = Enter the code from { $app }
recovery-hint = Lost your phone? Enter one of your recovery codes instead.
verify-code = Verify code
try-another-way = Try another way
code-sent-sms = We sent a code by SMS.
code-sent-call = We are calling you with a code.
code-wrong-try-again = That code is not valid. Please try again.

## Recovery codes

recovery-title = Recovery codes
recovery-intro = If you lose your phone, each recovery code lets you log in once instead of the second step. You have
recovery-left = {" "}left.
recovery-replace-warning = Making new codes stops the old ones working.
recovery-make = Make new recovery codes
recovery-new-title = Your new recovery codes
recovery-new-intro = Write these down or print them, and keep them somewhere safe: they are shown only this once. Each works one time.
recovery-new-earlier-void = Your earlier codes no longer work.
recovery-saved = I have saved them

## Remembered devices

devices-title = Remembered devices
devices-none = No device skips the second step.
devices-intro = On these browsers your password alone logs you in, until the date shown.
devices-until = until { $date }
devices-forget = Forget
devices-forget-all = Forget them all

## Ways to sign in

factors-title = Ways to sign in
factors-number-ending = number ending { $digits }
factors-last-used = Last used { $date }
factors-not-used = Not used yet
factors-new-name = New name
factors-rename = Rename
factors-remove = Remove
factors-add = Add another way
factors-label-authenticator = Authenticator app
factors-label-phone = Phone
factors-label-passkey = Passkey

## Enrolment

enrol-title = Turn on the second step
enrol-intro-phone = Your account has no second step yet. Add your phone: logging in will then need it too.
enrol-intro-app = Your account has no second step yet. Add an authenticator app: logging in will then need it too.
enrol-another-title = Add another way to sign in
enrol-intro-another = Every way you add signs you in on its own: keep two, in case you lose one.
enrol-which-way = Which way?
enrol-for = For
enrol-phone-hint = The phone is needed only for the ways that use one.
enrol-skip = Skip for now
enrol-prove-phone-title = Prove it is your phone
enrol-add-app-title = Add your authenticator app
enrol-code-or-sms = Enter a code from { $app }, or ask for one by SMS. The second step is turned on only once a code checks out.
enrol-code = Enter a code from { $app }. The second step is turned on only once a code checks out.
enrol-scan = Scan this with an authenticator app, then enter the code it shows:
enrol-qr-label = QR code for an authenticator app
enrol-manual-key = Cannot scan it? Type this key into the app:
enrol-label = A name for it (optional)
enrol-label-placeholder = My phone
enrol-turn-on = Turn it on
enrol-check-phone = Enter an email address, a country code such as 1 or 44, and the phone number.
enrol-phone-refused = Authy did not accept this phone number. Please check it.
choice-push = Approve on your phone with { $app }
choice-phone = Codes by SMS or call
choice-app = An authenticator app (codes, no phone number)


## Problems: each title, and its detail as `.detail`

problem-adding-stale = Prove it is you again
    .detail = Adding a way to sign in needs the second step done in the last ten minutes. Log out and in again, then try again.
problem-already-answered = Already answered
    .detail = This login was answered meanwhile; finishing it.
problem-already-approved = Already approved
    .detail = This login was approved; finishing it.
problem-already-used = Already used
    .detail = This login has already ended. Log in again if needed.
problem-app-login = Not logged in
    .detail = Log in to the application first.
problem-check-phone = Check the phone number
    .detail = Enter an email address, a country code such as 1 or 44, and the phone number.
problem-completed = Already used
    .detail = This login was already completed. Log in again if needed.
problem-csrf = Form expired
    .detail = This form has expired or did not come from this site. Please try again.
problem-enrol-attempts = Too many attempts
    .detail = Too many wrong codes. Try again in a few minutes.
problem-enrol-no-sms = Not available
    .detail = Codes cannot be sent by SMS. Use the code from your app.
problem-enrol-no-sms-here = Not available
    .detail = Codes cannot be sent by SMS for this. Use the code from your app.
problem-enrol-not-a-code = That is not a code
    .detail = That is not a code.
problem-enrol-send-failed = Could not send a code
    .detail = Authy could not send a code to this phone. Check the number.
problem-enrol-sends = Too many tries
    .detail = We have sent enough codes for now. Use the last one, or try again later.
problem-enrol-wrong-code = Wrong code
    .detail = That code is not valid. Please try again.
problem-enrolment-ended = Enrolment ended
    .detail = This account's sign-in settings changed since you began. Log in again.
problem-enrolment-expired = Enrolment expired
    .detail = Setting up the second step took too long. Log in again to start over.
problem-factor-attempts = Too many attempts
    .detail = Too many wrong codes for this phone or app lately. Try again in a few minutes, or use another way.
problem-factor-no-sends = Not available
    .detail = This way of signing in takes no codes by SMS or call. Use the code from your app, or try another way.
problem-factor-required = Second factor required
    .detail = This page needs a second sign-in step, and your account has none set up yet.
problem-factors-changed = Changed meanwhile
    .detail = Your ways to sign in changed since this page was shown. Look again.
problem-label = Check the name
    .detail = A name is 1 to 64 characters.
problem-last-factor = Your last way in
    .detail = Add another way to sign in before removing this one.
problem-locked = Account locked
    .detail = Too many wrong codes. Your account is locked for a while; try again later.
problem-login-attempts = Too many attempts
    .detail = Too many wrong codes for this login. Log in again to start over.
problem-login-denied = Login denied
    .detail = The request was denied on your phone. If that was not you, change your password. Log in again to start over.
problem-login-ended = Login ended
    .detail = This account's sign-in settings changed since you logged in: a way to sign in was removed, or the password changed. Log in again.
problem-login-expired = Login expired
    .detail = The request was not answered in time. Log in again to start over.
problem-login-failed = Login failed
    .detail = Wrong email or password.
problem-login-required = Authentication required
    .detail = Log in with both factors first.
problem-misconfigured = Misconfigured
    .detail = Sign-in is not set up correctly.
problem-no-code-needed = Already approved
    .detail = No code is needed.
problem-no-factor = No second factor
    .detail = This page needs a second factor, and none is set up for your account yet.
problem-no-login = Not logged in
    .detail = Your login has ended. Please log in again.
problem-no-phone = No phone for codes
    .detail = This account has no phone that codes can be sent to. Use the code from your app.
problem-no-sends = Not available
    .detail = Codes cannot be sent this way. Use the code from your app instead.
problem-no-such-factor = No such factor
    .detail = That way of signing in is not yours, or is gone.
problem-code-length = That is not a code
    .detail = Please check the code: a code has 6 to 12 digits.
problem-code-digits = That is not a code
    .detail = Please check the code: a code has only the digits 0-9.
problem-nothing-to-prove = No second factor
    .detail = This account has no second factor to prove.
problem-phone-tries = Too many tries
    .detail = Too many phone numbers tried for now. Please try again later.
problem-removing-stale = Prove it is you again
    .detail = Removing a way to sign in needs the second step done in the last ten minutes. Log out and in again, then try again.
problem-second-factor-required = Second factor required
    .detail = Set up a second factor to use this.
problem-send-failed = Could not send a code
    .detail = Authy could not send a code to this phone. Use the Authy app instead.
problem-send-limit = Too many codes sent
    .detail = We have sent enough codes for now. Use the last one, or try again later.
problem-stale-second-factor = Prove it is you again
    .detail = This needs the second step done recently: prove it again.
problem-still-waiting = Still waiting
    .detail = The request has not been approved yet.
problem-streams = Too many open pages
    .detail = This login is already being watched from too many pages. Close some and reload.
problem-unavailable = Sign-in is unavailable
    .detail = We cannot check your second factor right now, so nobody can sign in. Please try again in a minute.
problem-unknown-factor = No such factor
    .detail = Choose one of the ways offered.
problem-unknown-provider = Unknown way to sign in
    .detail = Choose one of the ways offered.
problem-wrong-code = Wrong code
    .detail = That code is not valid.

## Passkeys and security keys

passkey-prompt = Use the passkey or security key you set up for this account.
passkey-use = Use my passkey
passkey-add = Add a passkey
passkey-sign-in = Sign in with a passkey
passkey-failed = The passkey was not used. Try again, or try another way.
passkey-unsupported = This browser cannot use passkeys here. Try another way.
passkey-needs-script = Passkeys need JavaScript in this browser.
passkey-recovery-code = Or enter one of your recovery codes
passkey-enrol-title = Or use a passkey
passkey-enrol-intro = A passkey or security key signs in with your fingerprint, face, screen lock or PIN, and cannot be used on another site.
passkey-label = Name (optional)
problem-no-passkeys = Not available
    .detail = Passkeys are not turned on here.
problem-not-passkey = Not a passkey login
    .detail = This login waits for another way, not a passkey.
problem-passkey-no-codes = Not available
    .detail = This login waits for a passkey: it takes no codes by SMS or call. Use the passkey, a recovery code, or try another way.
problem-passkey-ceremony = Start again
    .detail = That passkey request has ended or was used already. Try again.
problem-passkey-refused = Passkey refused
    .detail = That passkey could not be checked for this site and account. Try again, or try another way.
problem-passkey-clone = Passkey refused
    .detail = That passkey's use does not match its earlier ones, so it may have been copied. Use another way, and tell us.
problem-passkey-registered = Already registered
    .detail = That passkey or security key is registered already.
problem-passkey-malformed = Check the passkey's answer
    .detail = The browser's answer could not be read.
