"""What a user does for each enrollment method, written to the user in the second person, step by
step; and what the organisation can see on a personal device for each method. Paraphrased from
Microsoft's user help and admin pages (each method's `source` in `advisor.model.methods`, and
PRIVACY_SOURCE), and Apple's page on account-driven enrollment for its Settings path."""

from __future__ import annotations

from advisor.model.i18n import N_
from advisor.model.methods import METHODS
from advisor.model.vocabulary import Platform

# Microsoft's page for users on what an organisation can and cannot see on an enrolled device.
PRIVACY_SOURCE = (
    "https://learn.microsoft.com/mem/intune/user-help/"
    "what-info-can-your-company-see-when-you-enroll-your-device-in-intune"
)

# The steps of each method for a device that is the user's own to use (user affinity).
STEPS: dict[str, tuple[str, ...]] = {
    "windows_autopilot_user_driven": (
        N_("Unpack the PC, plug it in and switch it on."),
        N_("Choose your language, region and keyboard if it asks."),
        N_("Connect to the network: Wi-Fi or a network cable."),
        N_("When it asks, sign in with your work account and password, and approve the sign-in."),
        N_(
            "Wait while Windows sets itself up with the organisation's apps and settings. It can take "
            "up to an hour and may restart: do not switch it off."
        ),
    ),
    "windows_autopilot_pre_provisioned": (
        N_("Switch on the PC that IT has prepared for you, and connect to the network if it asks."),
        N_("Sign in with your work account and password, and approve the sign-in."),
        N_("Wait a few minutes while your own settings are applied: the apps are already installed."),
    ),
    "windows_automatic_enrollment": (
        N_("You do not need to do anything: your PC connects to Intune by itself while you work."),
        N_(
            "Keep it switched on and connected to the organisation's network (or its VPN) during these "
            "dates, and restart it when Windows asks you to."
        ),
    ),
    "windows_byod_registration": (
        N_("On your PC, open Settings > Accounts > Access work or school."),
        N_("Select Connect and sign in with your work account."),
        N_("Follow the prompts until it is done. Your personal files and apps stay as they are."),
    ),
    "windows_app_protection": (
        N_("Open Microsoft Edge and sign in to it with your work account: Edge opens a work profile."),
        N_(
            "Open the work services, such as Outlook, Teams and OneDrive on the web, in that Edge work "
            "profile: other browsers cannot open them."
        ),
        N_("Nothing else changes on your PC: it is not managed by IT."),
    ),
    "macos_ade": (
        N_("Switch the Mac on, choose your country or region and keyboard, and connect to Wi-Fi."),
        N_("On the Remote Management screen, which names your organisation, select Continue."),
        N_("Sign in with your work account when it asks."),
        N_(
            "Follow the remaining setup screens, and wait while the Mac installs the organisation's apps "
            "and settings."
        ),
    ),
    "macos_company_portal": (
        N_(
            "Download Company Portal for Mac from https://go.microsoft.com/fwlink/?linkid=853070, open "
            "the installer and install it."
        ),
        N_("Open Company Portal, sign in with your work account and select Begin."),
        N_(
            "Select Download profile. System Settings opens with the profile: select it, select Install "
            "and enter your Mac's password."
        ),
        N_("Return to Company Portal and follow any remaining steps until it says you are done."),
    ),
    "macos_account_driven_user_enrollment": (
        N_("Open System Settings > General > Device Management."),
        N_("Select Sign In to Work or School Account and sign in with your work account."),
        N_("Allow remote management when it asks, and wait a few minutes."),
    ),
    "ios_ade": (
        N_("Switch the iPhone or iPad on, choose your language and connect to Wi-Fi."),
        N_("On the Remote Management screen, which names your organisation, continue."),
        N_("Sign in with your work account when it asks."),
        N_("Follow the remaining setup screens: the work apps install by themselves."),
    ),
    "ios_account_driven_user_enrollment": (
        N_(
            "If Microsoft Authenticator is already on the device, contact the helpdesk before you start: "
            "the sign-in below fails while it is installed."
        ),
        N_("Open Settings > General > VPN & Device Management."),
        N_("Tap Sign In to Work or School Account and sign in with your work account."),
        N_("Tap Allow Remote Management and wait a few minutes."),
        N_(
            "Microsoft Authenticator then installs by itself: wait for it before you sign in to the work "
            "apps, and tap Install when asked to approve a work app."
        ),
    ),
    "ios_company_portal_device_enrollment": (
        N_("Install Intune Company Portal from the App Store, open it and sign in with your work account."),
        N_("Tap Get started, then Allow to download the management profile."),
        N_(
            "Open Settings > General > VPN & Device Management, tap Management Profile, then Install, and "
            "Trust when asked."
        ),
        N_("Return to Company Portal and wait a few minutes while the work apps and settings arrive."),
    ),
    "ios_app_protection": (
        N_("Install Microsoft Authenticator from the App Store: the work apps need it to sign you in."),
        N_(
            "Install the work apps you use, such as Outlook, Teams and Edge, and sign in with your work "
            "account."
        ),
        N_("When an app says that your organisation now protects its data in the app, restart the app."),
        N_("Nothing else changes on your device: it is not managed by IT."),
    ),
    "android_fully_managed": (
        N_("Switch the phone on: it is new, or has been erased."),
        N_(
            "If IT has told you that it sets itself up, connect to Wi-Fi and follow the screens. "
            "Otherwise tap the first screen repeatedly (about six times) to open the QR code reader, and "
            "scan the QR code IT gives you."
        ),
        N_("Sign in with your work account when it asks, and do not restart the phone until setup ends."),
        N_("The work apps then install by themselves from Google Play."),
    ),
    "android_corporate_work_profile": (
        N_("Switch the phone on: it is new, or has been erased."),
        N_(
            "If IT has told you that it sets itself up, connect to Wi-Fi and follow the screens. "
            "Otherwise tap the first screen repeatedly (about six times) to open the QR code reader, and "
            "scan the QR code IT gives you."
        ),
        N_(
            "Sign in with your work account when it asks: the phone creates a work profile, whose apps "
            "show a briefcase badge. Do not restart the phone until setup ends."
        ),
        N_("You may use the rest of the phone privately, with your own Google account."),
    ),
    "android_personal_work_profile": (
        N_("Install Intune Company Portal from Google Play."),
        N_("Open it, sign in with your work account and tap Begin."),
        N_("Accept the prompts to create the work profile, and wait while it is set up."),
        N_("Work apps show a briefcase badge; you find more of them in the Play Store of the work profile."),
    ),
    "android_app_protection": (
        N_(
            "Install Intune Company Portal from Google Play: it must be on the phone, but you do not need "
            "to open it or sign in to it."
        ),
        N_(
            "Install the work apps you use, such as Outlook, Teams and Edge, and sign in with your work "
            "account."
        ),
        N_("When an app says that your organisation now protects its data in the app, restart the app."),
        N_("Nothing else changes on your phone: it is not managed by IT."),
    ),
}

# Devices that no one person owns: IT sets them up; what the people who pick one up do.
SHARED_STEPS: dict[str, tuple[str, ...]] = {
    "ios_shared_ipad": (
        N_("IT sets up the iPads: you do not need to set anything up."),
        N_(
            "When you pick one up, sign in on its lock screen with your work account; the first time, "
            "you choose a passcode of your own for your session."
        ),
        N_("Where IT allows it, you can instead tap Guest for a session that is deleted when you sign out."),
    ),
    "android_dedicated": (
        N_("IT sets up these devices: you do not need to set anything up."),
        N_(
            "When you pick one up, it shows only the apps for your task: use them as before, and sign "
            "in to an app if it asks."
        ),
    ),
    "windows_autopilot_self_deploying": (
        N_("IT sets up these PCs: you do not need to set anything up."),
        N_("When you use one, sign in with your work account if it asks you to; otherwise use it as before."),
    ),
}
SHARED_DEFAULT: tuple[str, ...] = (
    N_("IT sets up these devices: you do not need to set anything up."),
    N_(
        "When you pick one up, sign in to the work apps with your work account if they ask, and sign out "
        "when you hand the device on."
    ),
)
# Every method has the steps of its user (or, for the shared-only ones, of the people who share it).
assert set(STEPS) | set(SHARED_STEPS) == set(METHODS)  # noqa: S101


def steps(method: str, *, shared: bool) -> tuple[str, ...]:
    """The method's steps (English, marked with N_) for a user's own device or a shared one."""
    if shared or method not in STEPS:
        return SHARED_STEPS.get(method, SHARED_DEFAULT)
    return STEPS[method]


# How to erase a device of each platform before it is set up again (Settings paths in English; the
# Swedish catalogue gives the Swedish names of the menus).
ERASE: dict[Platform, str] = {
    "ios": N_("Settings > General > Transfer or Reset iPhone (or iPad) > Erase All Content and Settings"),
    "macos": N_("System Settings > General > Transfer or Reset > Erase All Content and Settings"),
    "windows": N_("Settings > System > Recovery > Reset this PC > Remove everything"),
    "android": N_(
        "Settings > System > Reset options > Erase all data (factory reset); the names vary by manufacturer"
    ),
}
# The device of each platform, as a user calls it.
DEVICE: dict[Platform, str] = {
    "ios": N_("iPhone or iPad"),
    "macos": N_("Mac"),
    "windows": N_("PC"),
    "android": N_("Android phone or tablet"),
}

# Personal devices enrolled so that only the work part is managed: IT can remove only that part,
# whatever it wishes (Apple's account-driven user enrollment, Android's personal work profile).
WORK_PART_ONLY = frozenset(
    {
        "ios_account_driven_user_enrollment",
        "macos_account_driven_user_enrollment",
        "android_personal_work_profile",
    }
)
# Apple's account-driven user enrollment: Intune collects no serial number, IMEI, UDID or phone
# number, and no inventory of the apps outside the work part.
NO_HARDWARE_IDS = frozenset({"ios_account_driven_user_enrollment", "macos_account_driven_user_enrollment"})
