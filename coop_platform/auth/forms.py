from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from coop_platform.core.forms import PlatformForm

REQUIRED = _l("This field is required.")


class LoginForm(PlatformForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=128)])


class SecondFactorForm(PlatformForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code from your authenticator app, or one of your recovery "
                       "codes."),
        validators=[DataRequired(REQUIRED), Length(max=32)],
    )


class EnrolForm(PlatformForm):
    password = PasswordField(_l("Choose a password"),
                             description=_l("At least 12 characters. A passphrase of several "
                                            "unrelated words is easy to remember."),
                             validators=[DataRequired(REQUIRED), Length(max=128)])
    password_confirm = PasswordField(_l("Repeat the password"),
                                     validators=[DataRequired(REQUIRED), Length(max=128)])
    code = StringField(_l("Code from your authenticator"),
                       validators=[DataRequired(REQUIRED), Length(max=16)])


class ReenrolForm(PlatformForm):
    password = PasswordField(_l("Your current password"),
                             validators=[DataRequired(REQUIRED), Length(max=128)])
    code = StringField(_l("Code from your new authenticator"),
                       validators=[DataRequired(REQUIRED), Length(max=16)])


class PasswordChangeForm(PlatformForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(REQUIRED), Length(max=128)])
    password = PasswordField(_l("New password"),
                             description=_l("At least 12 characters, not a common password."),
                             validators=[DataRequired(REQUIRED), Length(max=128)])
    password_confirm = PasswordField(_l("Repeat the new password"),
                                     validators=[DataRequired(REQUIRED), Length(max=128)])
    code = StringField(_l("Current code from your authenticator"),
                       validators=[DataRequired(REQUIRED), Length(max=16)])


class NotificationSettingsForm(PlatformForm):
    email_notifications = BooleanField(_l("Also send my notifications by e-mail"))


class StepUpForm(PlatformForm):
    code = StringField(_l("Current code from your authenticator"),
                       validators=[DataRequired(REQUIRED), Length(max=16)])
