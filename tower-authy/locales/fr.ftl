# Les messages de tower-authy, en français. Chaque identifiant de en.ftl existe ici aussi (un
# test unitaire le vérifie). Une application en change ou en ajoute avec
# `TwoFactorBuilder::messages`.

## Mots communs

field-email = Adresse e-mail
field-password = Mot de passe
field-code = Code
field-country-code = Indicatif du pays
field-phone = Numéro de téléphone
continue = Continuer
back = Retour
cancel = Annuler
back-to-login = Revenir à la connexion
send-sms = M’envoyer un SMS
call-me = M’appeler
remember-device = Se souvenir de cet appareil pendant { $days } jours
app-label-authy = l’application Authy
app-label-verify = votre application
app-label-totp = votre application d’authentification
kind-push = notification et codes sur votre téléphone
kind-app = codes d’une application d’authentification
kind-phone = codes par SMS ou appel
kind-passkey = une clé d’accès ou clé de sécurité

## Connexion

login-title = Connexion
login-button = Se connecter
login-failed = Adresse e-mail ou mot de passe incorrect.

## Vérification renforcée et nouvelle preuve

step-up-title = Confirmez que c’est bien vous
step-up-intro = Cette page demande une deuxième étape. Nous allons envoyer une demande à { $app } sur votre téléphone.
step-up-button = Envoyer la demande
reprove-title = Prouvez à nouveau que c’est vous
reprove-intro = Cette page demande une deuxième étape faite récemment. Utilisez encore une fois l’un de vos moyens de connexion, puis vous y serez ramené.

## La deuxième étape (la page d’attente)

second-step-title = Deuxième étape
push-waiting = En attente de votre approbation. Nous avons envoyé une demande à { $app } sur votre téléphone ; vérifiez qu’elle affiche ce code :
push-approved = Approuvé. Connexion en cours...
push-denied = La demande a été refusée sur votre téléphone. Reconnectez-vous pour recommencer.
push-expired = La demande a expiré. Reconnectez-vous pour recommencer.
push-ended = Cette connexion ne peut plus être utilisée. Reconnectez-vous.
push-i-approved = Je l’ai approuvée
start-again = Recommencer
code-instead = Ou utilisez plutôt un code
code-from-app-or-sms = Saisissez le code de { $app } ou du SMS
code-from-app = Saisissez le code de { $app }
recovery-hint = Téléphone perdu ? Saisissez plutôt l’un de vos codes de secours.
verify-code = Vérifier le code
try-another-way = Essayer autrement
code-sent-sms = Nous vous avons envoyé un code par SMS.
code-sent-call = Nous vous appelons pour vous donner un code.
code-wrong-try-again = Ce code n’est pas valide. Veuillez réessayer.

## Codes de secours

recovery-title = Codes de secours
recovery-intro = Si vous perdez votre téléphone, chaque code de secours vous permet de vous connecter une fois sans la deuxième étape. Il vous en reste
recovery-left = .
recovery-replace-warning = Créer de nouveaux codes rend les anciens inutilisables.
recovery-make = Créer de nouveaux codes de secours
recovery-new-title = Vos nouveaux codes de secours
recovery-new-intro = Notez-les ou imprimez-les, et gardez-les en lieu sûr : ils ne sont affichés qu’une seule fois. Chacun ne sert qu’une fois.
recovery-new-earlier-void = Vos anciens codes ne fonctionnent plus.
recovery-saved = Je les ai enregistrés

## Appareils mémorisés

devices-title = Appareils mémorisés
devices-none = Aucun appareil ne passe la deuxième étape.
devices-intro = Sur ces navigateurs, votre mot de passe seul suffit pour vous connecter, jusqu’à la date indiquée.
devices-until = jusqu’au { $date }
devices-forget = Oublier
devices-forget-all = Les oublier tous

## Moyens de connexion

factors-title = Moyens de connexion
factors-number-ending = numéro se terminant par { $digits }
factors-last-used = Dernière utilisation le { $date }
factors-not-used = Pas encore utilisé
factors-new-name = Nouveau nom
factors-rename = Renommer
factors-remove = Supprimer
factors-add = Ajouter un autre moyen
factors-label-authenticator = Application d’authentification
factors-label-phone = Téléphone
factors-label-passkey = Clé d’accès

## Activation

enrol-title = Activer la deuxième étape
enrol-intro-phone = Votre compte n’a pas encore de deuxième étape. Ajoutez votre téléphone : il sera ensuite demandé à chaque connexion.
enrol-intro-app = Votre compte n’a pas encore de deuxième étape. Ajoutez une application d’authentification : elle sera ensuite demandée à chaque connexion.
enrol-another-title = Ajouter un moyen de connexion
enrol-intro-another = Chaque moyen ajouté suffit à vous connecter : gardez-en deux, au cas où vous en perdriez un.
enrol-which-way = Quel moyen ?
enrol-for = Pour
enrol-phone-hint = Le téléphone n’est demandé que pour les moyens qui en utilisent un.
enrol-skip = Plus tard
enrol-prove-phone-title = Prouvez que c’est votre téléphone
enrol-add-app-title = Ajoutez votre application d’authentification
enrol-code-or-sms = Saisissez un code de { $app }, ou demandez-en un par SMS. La deuxième étape n’est activée qu’une fois un code vérifié.
enrol-code = Saisissez un code de { $app }. La deuxième étape n’est activée qu’une fois un code vérifié.
enrol-scan = Scannez ceci avec une application d’authentification, puis saisissez le code qu’elle affiche :
enrol-qr-label = Code QR pour une application d’authentification
enrol-manual-key = Impossible de le scanner ? Saisissez cette clé dans l’application :
enrol-label = Un nom pour ce moyen (facultatif)
enrol-label-placeholder = Mon téléphone
enrol-turn-on = L’activer
enrol-check-phone = Saisissez une adresse e-mail, un indicatif de pays comme 1 ou 33, et le numéro de téléphone.
enrol-phone-refused = Authy n’a pas accepté ce numéro de téléphone. Veuillez le vérifier.
choice-push = Approuver sur votre téléphone avec { $app }
choice-phone = Codes par SMS ou appel
choice-app = Une application d’authentification (codes, sans numéro de téléphone)


## Problèmes : chaque titre, et son détail en `.detail`

problem-adding-stale = Prouvez à nouveau que c’est vous
    .detail = Ajouter un moyen de connexion demande une deuxième étape faite dans les dix dernières minutes. Déconnectez-vous et reconnectez-vous, puis réessayez.
problem-already-answered = Déjà répondu
    .detail = Cette connexion a reçu une réponse entre-temps ; finalisation en cours.
problem-already-approved = Déjà approuvée
    .detail = Cette connexion a été approuvée ; finalisation en cours.
problem-already-used = Déjà utilisée
    .detail = Cette connexion est déjà terminée. Reconnectez-vous si nécessaire.
problem-app-login = Non connecté
    .detail = Connectez-vous d’abord à l’application.
problem-check-phone = Vérifiez le numéro de téléphone
    .detail = Saisissez une adresse e-mail, un indicatif de pays comme 1 ou 33, et le numéro de téléphone.
problem-completed = Déjà utilisée
    .detail = Cette connexion a déjà été finalisée. Reconnectez-vous si nécessaire.
problem-csrf = Formulaire expiré
    .detail = Ce formulaire a expiré ou ne provient pas de ce site. Veuillez réessayer.
problem-enrol-attempts = Trop de tentatives
    .detail = Trop de codes incorrects. Réessayez dans quelques minutes.
problem-enrol-no-sms = Indisponible
    .detail = Les codes ne peuvent pas être envoyés par SMS. Utilisez le code de votre application.
problem-enrol-no-sms-here = Indisponible
    .detail = Les codes ne peuvent pas être envoyés par SMS pour ce moyen. Utilisez le code de votre application.
problem-enrol-not-a-code = Ce n’est pas un code
    .detail = Ce n’est pas un code.
problem-enrol-send-failed = Impossible d’envoyer un code
    .detail = Authy n’a pas pu envoyer de code à ce téléphone. Vérifiez le numéro.
problem-enrol-sends = Trop d’essais
    .detail = Nous avons envoyé assez de codes pour le moment. Utilisez le dernier, ou réessayez plus tard.
problem-enrol-wrong-code = Code incorrect
    .detail = Ce code n’est pas valide. Veuillez réessayer.
problem-enrolment-ended = Activation interrompue
    .detail = Les réglages de connexion de ce compte ont changé depuis le début. Reconnectez-vous.
problem-enrolment-expired = Activation expirée
    .detail = La mise en place de la deuxième étape a pris trop de temps. Reconnectez-vous pour recommencer.
problem-factor-attempts = Trop de tentatives
    .detail = Trop de codes incorrects récemment pour ce téléphone ou cette application. Réessayez dans quelques minutes, ou utilisez un autre moyen.
problem-factor-no-sends = Indisponible
    .detail = Ce moyen de connexion ne reçoit pas de codes par SMS ou appel. Utilisez le code de votre application, ou essayez autrement.
problem-factor-required = Deuxième facteur requis
    .detail = Cette page demande une deuxième étape de connexion, et votre compte n’en a pas encore.
problem-factors-changed = Modifié entre-temps
    .detail = Vos moyens de connexion ont changé depuis l’affichage de cette page. Regardez à nouveau.
problem-label = Vérifiez le nom
    .detail = Un nom compte de 1 à 64 caractères.
problem-last-factor = Votre dernier moyen de connexion
    .detail = Ajoutez un autre moyen de connexion avant de supprimer celui-ci.
problem-locked = Compte verrouillé
    .detail = Trop de codes incorrects. Votre compte est verrouillé pour un moment ; réessayez plus tard.
problem-login-attempts = Trop de tentatives
    .detail = Trop de codes incorrects pour cette connexion. Reconnectez-vous pour recommencer.
problem-login-denied = Connexion refusée
    .detail = La demande a été refusée sur votre téléphone. Si ce n’était pas vous, changez votre mot de passe. Reconnectez-vous pour recommencer.
problem-login-ended = Connexion interrompue
    .detail = Les réglages de connexion de ce compte ont changé depuis votre connexion : un moyen de connexion a été supprimé, ou le mot de passe a changé. Reconnectez-vous.
problem-login-expired = Connexion expirée
    .detail = La demande n’a pas reçu de réponse à temps. Reconnectez-vous pour recommencer.
problem-login-failed = Échec de la connexion
    .detail = Adresse e-mail ou mot de passe incorrect.
problem-login-required = Authentification requise
    .detail = Connectez-vous d’abord avec les deux facteurs.
problem-misconfigured = Mauvaise configuration
    .detail = La connexion n’est pas correctement configurée.
problem-no-code-needed = Déjà approuvée
    .detail = Aucun code n’est nécessaire.
problem-no-factor = Pas de deuxième facteur
    .detail = Cette page demande un deuxième facteur, et aucun n’est encore configuré pour votre compte.
problem-no-login = Non connecté
    .detail = Votre connexion a pris fin. Veuillez vous reconnecter.
problem-no-phone = Pas de téléphone pour les codes
    .detail = Ce compte n’a pas de téléphone auquel envoyer des codes. Utilisez le code de votre application.
problem-no-sends = Indisponible
    .detail = Les codes ne peuvent pas être envoyés ainsi. Utilisez plutôt le code de votre application.
problem-no-such-factor = Moyen de connexion introuvable
    .detail = Ce moyen de connexion n’est pas le vôtre, ou n’existe plus.
problem-code-length = Ce n’est pas un code
    .detail = Vérifiez le code : un code compte de 6 à 12 chiffres.
problem-code-digits = Ce n’est pas un code
    .detail = Vérifiez le code : un code ne contient que les chiffres 0 à 9.
problem-nothing-to-prove = Pas de deuxième facteur
    .detail = Ce compte n’a pas de deuxième facteur à prouver.
problem-phone-tries = Trop d’essais
    .detail = Trop de numéros de téléphone essayés pour le moment. Veuillez réessayer plus tard.
problem-removing-stale = Prouvez à nouveau que c’est vous
    .detail = Supprimer un moyen de connexion demande une deuxième étape faite dans les dix dernières minutes. Déconnectez-vous et reconnectez-vous, puis réessayez.
problem-second-factor-required = Deuxième facteur requis
    .detail = Configurez un deuxième facteur pour utiliser ceci.
problem-send-failed = Impossible d’envoyer un code
    .detail = Authy n’a pas pu envoyer de code à ce téléphone. Utilisez plutôt l’application Authy.
problem-send-limit = Trop de codes envoyés
    .detail = Nous avons envoyé assez de codes pour le moment. Utilisez le dernier, ou réessayez plus tard.
problem-stale-second-factor = Prouvez à nouveau que c’est vous
    .detail = Ceci demande une deuxième étape faite récemment : prouvez-la à nouveau.
problem-still-waiting = Toujours en attente
    .detail = La demande n’a pas encore été approuvée.
problem-streams = Trop de pages ouvertes
    .detail = Cette connexion est déjà suivie depuis trop de pages. Fermez-en quelques-unes et rechargez.
problem-unavailable = Connexion indisponible
    .detail = Nous ne pouvons pas vérifier votre deuxième facteur pour le moment, donc personne ne peut se connecter. Veuillez réessayer dans une minute.
problem-unknown-factor = Moyen de connexion introuvable
    .detail = Choisissez l’un des moyens proposés.
problem-unknown-provider = Moyen de connexion inconnu
    .detail = Choisissez l’un des moyens proposés.
problem-wrong-code = Code incorrect
    .detail = Ce code n’est pas valide.

## Clés d’accès et clés de sécurité

passkey-prompt = Utilisez la clé d’accès ou la clé de sécurité configurée pour ce compte.
passkey-use = Utiliser ma clé d’accès
passkey-add = Ajouter une clé d’accès
passkey-sign-in = Se connecter avec une clé d’accès
passkey-failed = La clé d’accès n’a pas été utilisée. Réessayez, ou essayez autrement.
passkey-unsupported = Ce navigateur ne peut pas utiliser de clé d’accès ici. Essayez autrement.
passkey-needs-script = Les clés d’accès ont besoin de JavaScript dans ce navigateur.
passkey-recovery-code = Ou saisissez l’un de vos codes de secours
passkey-enrol-title = Ou utilisez une clé d’accès
passkey-enrol-intro = Une clé d’accès ou clé de sécurité se déverrouille avec votre empreinte, votre visage, le verrouillage de l’écran ou un code, et ne sert sur aucun autre site.
passkey-label = Nom (facultatif)
problem-no-passkeys = Indisponible
    .detail = Les clés d’accès ne sont pas activées ici.
problem-not-passkey = Pas une connexion par clé d’accès
    .detail = Cette connexion attend un autre moyen, pas une clé d’accès.
problem-passkey-no-codes = Indisponible
    .detail = Cette connexion attend une clé d’accès : elle ne reçoit pas de codes par SMS ou appel. Utilisez la clé, un code de secours, ou essayez autrement.
problem-passkey-ceremony = Recommencez
    .detail = Cette demande de clé d’accès est terminée ou a déjà servi. Réessayez.
problem-passkey-refused = Clé d’accès refusée
    .detail = Cette clé d’accès n’a pas pu être vérifiée pour ce site et ce compte. Réessayez, ou essayez autrement.
problem-passkey-clone = Clé d’accès refusée
    .detail = L’utilisation de cette clé ne correspond pas aux précédentes : elle a peut-être été copiée. Utilisez un autre moyen, et prévenez-nous.
problem-passkey-registered = Déjà enregistrée
    .detail = Cette clé d’accès ou clé de sécurité est déjà enregistrée.
problem-passkey-malformed = Vérifiez la réponse de la clé
    .detail = La réponse du navigateur est illisible.
