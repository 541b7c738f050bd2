"""The enrollment methods Intune offers and what each does to a device, and the prerequisites a
method can need: fixed facts from Microsoft's documentation, not advice (which method a group gets
is the rulebook's `method` stage; how much each weighs on the helpdesk is a rulebook parameter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from advisor.model.i18n import N_, gettext
from advisor.model.vocabulary import METHOD_SLUGS, Language, Method, Owner, Platform, term

# How a method weighs on the helpdesk, each class with its rulebook parameter (user-equivalents per
# device, in percent): users enrolling through Company Portal or Settings, devices that set
# themselves up (zero-touch), devices already in use that enroll by themselves, and apps protected
# without enrolling the device.
LoadClass = Literal["self_service", "zero_touch", "automatic", "app_protection"]
LOAD_CLASSES: tuple[LoadClass, ...] = get_args(LoadClass)
# A method that can serve shared devices says `either`: the group's answer decides.
Affinity = Literal["user", "none", "either"]

_LEARN = "https://learn.microsoft.com"


@dataclass(frozen=True)
class MethodSpec:
    slug: Method
    platform: Platform
    owners: tuple[Owner, ...]  # whose devices it may enroll
    load: LoadClass
    resets: bool  # a device already in use must be reset (wiped) to enroll this way
    affinity: Affinity
    experience: str  # what the user goes through, in our words
    source: str  # the Microsoft page the facts above follow
    shared_experience: str = ""  # for `either`: what it is like without user affinity

    @property
    def enrolls(self) -> bool:
        """Whether the device itself is enrolled (app protection leaves it unmanaged)."""
        return self.load != "app_protection"

    def label(self, language: Language) -> str:
        return term(self.slug, language)

    def what_users_do(self, language: Language, *, shared: bool = False) -> str:
        text = self.shared_experience if shared and self.shared_experience else self.experience
        return gettext(text, language)


_C: tuple[Owner, ...] = ("corporate",)
_P: tuple[Owner, ...] = ("personal",)
_BOTH: tuple[Owner, ...] = ("corporate", "personal")
_APP_PROTECTION = f"{_LEARN}/mem/intune/apps/app-protection-policy"
_USER_ENROLLMENT = f"{_LEARN}/mem/intune/enrollment/apple-account-driven-user-enrollment"

METHODS: dict[str, MethodSpec] = {
    spec.slug: spec
    for spec in (
        MethodSpec(
            "windows_autopilot_user_driven",
            "windows",
            _C,
            "zero_touch",
            True,
            "user",
            N_(
                "The user unpacks the PC, connects it and signs in with the work account; Windows sets "
                "itself up with the organisation's apps and settings."
            ),
            f"{_LEARN}/autopilot/user-driven",
        ),
        MethodSpec(
            "windows_autopilot_pre_provisioned",
            "windows",
            _C,
            "zero_touch",
            True,
            "user",
            N_(
                "IT or the reseller installs the apps and policies beforehand; the user receives a PC "
                "that is ready, signs in and can work within minutes."
            ),
            f"{_LEARN}/autopilot/pre-provision",
        ),
        MethodSpec(
            "windows_autopilot_self_deploying",
            "windows",
            _C,
            "zero_touch",
            True,
            "none",
            N_(
                "The PC sets itself up as soon as it is switched on and connected to the network; no one "
                "signs in to enroll it, and whoever is on shift uses it."
            ),
            f"{_LEARN}/autopilot/self-deploying",
        ),
        MethodSpec(
            "windows_automatic_enrollment",
            "windows",
            _C,
            "automatic",
            False,
            "either",
            N_(
                "Little changes for the user: a PC already joined to Active Directory (hybrid joined) "
                "or to Microsoft Entra ID enrolls by itself and keeps its files and apps; a PC joined "
                "to neither gets a new user profile when it is joined."
            ),
            f"{_LEARN}/mem/intune/enrollment/windows-enroll",
        ),
        MethodSpec(
            "windows_byod_registration",
            "windows",
            _P,
            "self_service",
            False,
            "user",
            N_(
                "The user adds the work account under Settings, Access work or school; the PC is "
                "registered and enrolled and keeps its personal files and apps."
            ),
            f"{_LEARN}/mem/intune/user-help/enroll-windows-10-device",
        ),
        MethodSpec(
            "windows_app_protection",
            "windows",
            _P,
            "app_protection",
            False,
            "user",
            N_(
                "The PC is not enrolled: the user signs in to Microsoft Edge with the work account, and "
                "app protection keeps work data in the work profile."
            ),
            f"{_LEARN}/mem/intune/apps/protect-mam-windows",
        ),
        MethodSpec(
            "macos_ade",
            "macos",
            _C,
            "zero_touch",
            True,
            "either",
            N_(
                "The Mac enrolls in its setup assistant: the user switches it on, signs in and it "
                "arrives configured; management can be locked so that the user cannot remove it."
            ),
            f"{_LEARN}/mem/intune/enrollment/device-enrollment-program-enroll-macos",
        ),
        MethodSpec(
            "macos_company_portal",
            "macos",
            _BOTH,
            "self_service",
            False,
            "user",
            N_(
                "The user installs Company Portal, signs in and approves the management profile in "
                "System Settings; the Mac keeps its data."
            ),
            f"{_LEARN}/mem/intune/enrollment/macos-enroll",
        ),
        MethodSpec(
            "macos_account_driven_user_enrollment",
            "macos",
            _P,
            "self_service",
            False,
            "user",
            N_(
                "The user signs in with the work account under System Settings, Device Management; work "
                "data is kept apart, and IT can neither see nor wipe personal data."
            ),
            _USER_ENROLLMENT,
        ),
        MethodSpec(
            "ios_ade",
            "ios",
            _C,
            "zero_touch",
            True,
            "either",
            N_(
                "The device enrolls in its setup assistant: the user switches it on, signs in and it "
                "arrives configured; management can be locked so that the user cannot remove it."
            ),
            f"{_LEARN}/mem/intune/enrollment/device-enrollment-program-enroll-ios",
            N_(
                "The device enrolls in its setup assistant with no user affinity: no one signs in to "
                "enroll it, and whoever needs it picks it up."
            ),
        ),
        MethodSpec(
            "ios_shared_ipad",
            "ios",
            _C,
            "zero_touch",
            True,
            "none",
            N_(
                "Several people share each iPad, each signing in with a Managed Apple Account to a "
                "session of their own."
            ),
            f"{_LEARN}/mem/intune/enrollment/device-enrollment-shared-ipad",
        ),
        MethodSpec(
            "ios_account_driven_user_enrollment",
            "ios",
            _P,
            "self_service",
            False,
            "user",
            N_(
                "The user signs in with the work account under Settings, VPN & Device Management; work "
                "apps and data sit apart, and IT can neither see nor wipe anything personal."
            ),
            _USER_ENROLLMENT,
        ),
        MethodSpec(
            "ios_company_portal_device_enrollment",
            "ios",
            _BOTH,
            "self_service",
            False,
            "user",
            N_(
                "The user installs Company Portal, signs in and installs the management profile in "
                "Settings; the device keeps its data."
            ),
            f"{_LEARN}/mem/intune/enrollment/ios-device-enrollment",
        ),
        MethodSpec(
            "ios_app_protection",
            "ios",
            _P,
            "app_protection",
            False,
            "user",
            N_(
                "The device is not enrolled: the user installs the work apps, such as Outlook and Teams, "
                "and signs in; app protection keeps work data inside them."
            ),
            _APP_PROTECTION,
        ),
        MethodSpec(
            "android_fully_managed",
            "android",
            _C,
            "zero_touch",
            True,
            "user",
            N_(
                "The phone is for work only: it enrolls during setup (zero-touch, a QR code or a token) "
                "and holds the work apps from managed Google Play."
            ),
            f"{_LEARN}/mem/intune/enrollment/android-fully-managed-enroll",
        ),
        MethodSpec(
            "android_corporate_work_profile",
            "android",
            _C,
            "zero_touch",
            True,
            "user",
            N_(
                "The company phone enrolls during setup with a work profile for work apps and data; the "
                "user may use the rest privately, and IT sees nothing of that part."
            ),
            f"{_LEARN}/mem/intune/enrollment/android-corporate-owned-work-profile-enroll",
        ),
        MethodSpec(
            "android_dedicated",
            "android",
            _C,
            "zero_touch",
            True,
            "none",
            N_(
                "The device enrolls during setup and is locked to the apps of its task; workers use it "
                "without signing in to enroll anything."
            ),
            f"{_LEARN}/mem/intune/enrollment/android-kiosk-enroll",
        ),
        MethodSpec(
            "android_personal_work_profile",
            "android",
            _BOTH,
            "self_service",
            False,
            "user",
            N_(
                "The user installs Company Portal and creates a work profile: work apps carry a briefcase "
                "badge, and IT sees and manages nothing outside the work profile."
            ),
            f"{_LEARN}/mem/intune/enrollment/android-work-profile-enroll",
        ),
        MethodSpec(
            "android_app_protection",
            "android",
            _P,
            "app_protection",
            False,
            "user",
            N_(
                "The phone is not enrolled: the user installs the work apps and Company Portal (which "
                "never needs opening) and signs in; app protection keeps work data inside the apps."
            ),
            _APP_PROTECTION,
        ),
    )
}
assert tuple(METHODS) == METHOD_SLUGS  # noqa: S101 - one entry per slug, in the contract's order


def methods_for(platform: str, owner: str) -> tuple[MethodSpec, ...]:
    """The methods that can enroll (or protect) a device of this platform and owner."""
    return tuple(m for m in METHODS.values() if m.platform == platform and owner in m.owners)


# The parameter that weighs each load class, in user-equivalents per device (percent).
LOAD_PARAMETERS: dict[LoadClass, str] = {load: f"load_percent_{load}" for load in LOAD_CLASSES}


@dataclass(frozen=True)
class PrerequisiteSpec:
    code: str
    text: str  # English, marked with N_ (`%(platforms)s` where it names platforms)
    source: str


PREREQUISITES: dict[str, PrerequisiteSpec] = {
    spec.code: spec
    for spec in (
        PrerequisiteSpec(
            "intune-licences",
            N_("Assign an Intune licence to every user in the rollout."),
            f"{_LEARN}/mem/intune/fundamentals/licenses",
        ),
        PrerequisiteSpec(
            "entra-id-p1",
            N_(
                "Microsoft Entra ID P1 for the users (part of Microsoft 365 E3 and E5): automatic "
                "enrollment and Conditional Access need it."
            ),
            f"{_LEARN}/mem/intune/enrollment/windows-enroll",
        ),
        PrerequisiteSpec(
            "mdm-user-scope",
            N_(
                "Set the MDM user scope for Windows automatic enrollment (Microsoft Entra ID, Mobility) to "
                "the groups in the rollout."
            ),
            f"{_LEARN}/mem/intune/enrollment/windows-enroll",
        ),
        PrerequisiteSpec(
            "entra-join",
            N_("Allow the users in the rollout to join devices to Microsoft Entra ID (device settings)."),
            f"{_LEARN}/autopilot/requirements",
        ),
        PrerequisiteSpec(
            "hybrid-join",
            N_(
                "For PCs joined to Active Directory: Microsoft Entra hybrid join (Microsoft Entra Connect) "
                "and the group policy for automatic MDM enrollment, or co-management with Configuration "
                "Manager."
            ),
            f"{_LEARN}/mem/intune/enrollment/windows-enroll",
        ),
        PrerequisiteSpec(
            "autopilot-registration",
            N_(
                "Register the PCs with Windows Autopilot (the OEM or reseller does it for new ones; "
                "hardware hashes for the others) and assign a deployment profile."
            ),
            f"{_LEARN}/autopilot/add-devices",
        ),
        PrerequisiteSpec(
            "apns-certificate",
            N_("Get the Apple MDM push certificate and name who renews it every year."),
            f"{_LEARN}/mem/intune/enrollment/apple-mdm-push-certificate-get",
        ),
        PrerequisiteSpec(
            "apple-business-manager",
            N_(
                "Set up Apple Business Manager; for automated device enrollment, have the reseller assign "
                "the devices to it (devices bought elsewhere are added with Apple Configurator)."
            ),
            f"{_LEARN}/mem/intune/enrollment/device-enrollment-program-enroll-ios",
        ),
        PrerequisiteSpec(
            "ade-token",
            N_(
                "Connect Apple Business Manager to Intune with an automated device enrollment token and "
                "create the enrollment profiles."
            ),
            f"{_LEARN}/mem/intune/enrollment/device-enrollment-program-enroll-ios",
        ),
        PrerequisiteSpec(
            "managed-apple-accounts",
            N_(
                "Managed Apple Accounts for the users (federating Apple Business Manager with Microsoft "
                "Entra ID is recommended)."
            ),
            _USER_ENROLLMENT,
        ),
        PrerequisiteSpec(
            "apple-service-discovery",
            N_(
                "Publish the service discovery file at https://<your domain>/.well-known/"
                "com.apple.remotemanagement, so that devices find Intune from the work account."
            ),
            _USER_ENROLLMENT,
        ),
        PrerequisiteSpec(
            "authenticator-jit",
            N_(
                "Just-in-time registration, with Microsoft Authenticator as a required app, so that "
                "users sign in once for account-driven user enrollment."
            ),
            _USER_ENROLLMENT,
        ),
        PrerequisiteSpec(
            "corporate-identifiers",
            N_(
                "Add the serial numbers (or IMEI) of corporate devices already in use as corporate "
                "device identifiers, so that they enroll as corporate."
            ),
            f"{_LEARN}/mem/intune/enrollment/corporate-identifiers-add",
        ),
        PrerequisiteSpec(
            "managed-google-play",
            N_("Bind the Intune tenant to managed Google Play."),
            f"{_LEARN}/mem/intune/enrollment/connect-intune-android-enterprise",
        ),
        PrerequisiteSpec(
            "android-zero-touch",
            N_(
                "Link the Android zero-touch portal (or Knox Mobile Enrollment) to Intune where the "
                "reseller supports it; otherwise create the enrollment profile and its QR code or token."
            ),
            f"{_LEARN}/mem/intune/enrollment/android-dedicated-devices-fully-managed-enroll",
        ),
        PrerequisiteSpec(
            "app-protection-policies",
            N_(
                "App protection policies for the apps the users work in, and a Conditional Access policy "
                "that requires them."
            ),
            _APP_PROTECTION,
        ),
        PrerequisiteSpec(
            "conditional-access",
            N_(
                "Conditional Access policies that require a compliant device, in report-only mode until "
                "each group is enrolled."
            ),
            f"{_LEARN}/mem/intune/protect/conditional-access",
        ),
        PrerequisiteSpec(
            "enrollment-restrictions",
            N_(
                "Enrollment restrictions: allow devices that enroll as personal only where the plan "
                "enrolls them (%(platforms)s) and block them elsewhere."
            ),
            f"{_LEARN}/mem/intune/enrollment/enrollment-restrictions-set",
        ),
        PrerequisiteSpec(
            "privacy-statement",
            N_(
                "A privacy statement for personal devices, sent with the announcement: what IT can and "
                "cannot see, and what happens to the device when its owner leaves."
            ),
            f"{_LEARN}/mem/intune/user-help/what-info-can-your-company-see-when-you-enroll-your-device-in-intune",
        ),
    )
}
# Where a table of prerequisites names those every rollout needs, whatever its methods.
ALWAYS = "all"
