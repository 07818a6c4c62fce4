"""The purposes and recipients both privacy policies describe, as data (C1–C5, C9, C11, C13).

Each enterprise schema holds a copy (consent.models.Purpose / Recipient) kept in step with this
module by consent.services.catalogue.sync_purpose_catalogue. A purpose's `revision` says which
version of it people consented to: raising it (or changing what it covers, shares or requires,
which raises it automatically) means nobody has consented to the new version yet (C7, C9
affiliates).

`covers` names the registry fields ("app_label.Model.field") a purpose gates: writing them needs
that purpose's consent (consent.enforcement). Device permissions that only act on the phone cover
no stored field; the mobile app asks the gate before it uses them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from django.utils.translation import gettext_noop

# Personal-information types a recipient can receive (C9), with their labels.
PI_TYPES: dict[str, tuple[str, str]] = {
    "login_account": ("Login account", "登录账号"),
    "avatar": ("Avatar", "头像"),
    "name": ("Name", "姓名"),
    "mobile": ("Mobile number", "手机号"),
    "id_number": ("ID number", "身份证号"),
    "bank_card_number": ("Bank card number", "银行卡号"),
    "user_id": ("User ID", "用户ID"),
    "nickname": ("Nickname", "昵称"),
}

# C9, Q 4(1)4: activating a third-party application shares exactly these.
THIRD_PARTY_APPLICATION_PI_TYPES = ("login_account", "avatar", "name", "mobile")


@dataclass(frozen=True)
class RecipientDefinition:
    code: str
    kind: str  # consent.models.Recipient.Kind
    name_en: str
    name_zh: str
    purpose_en: str
    purpose_zh: str
    pi_types: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class PurposeDefinition:
    code: str
    kind: str  # consent.models.Purpose.Kind
    name_en: str
    name_zh: str
    statement_en: str
    statement_zh: str
    source: str
    is_sensitive: bool = False
    sensitive_category: str = ""
    covers: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    recipient: str = ""
    revision: int = 1
    legal_basis: str = ""  # only for the basic purpose, which needs no separate consent


RECIPIENTS: tuple[RecipientDefinition, ...] = (
    RecipientDefinition(
        "partner.mobo", "partner", "Mobo (Beijing) Technology Co., Ltd", "Mobo（北京）科技有限公司",
        "Training and examination functions", "培训考试功能", ("login_account", "name", "mobile"), "Q 4(1)6"),
    RecipientDefinition(
        "partner.youfen", "partner", "Shanghai Youfen Technology Development Co., Ltd", "上海 Youfen 科技发展有限公司",
        "Points mall", "积分商城", ("login_account", "name", "mobile"), "Q 4(1)6"),
    RecipientDefinition(
        "partner.tiangu", "partner", "Hangzhou Tiangu Information Technology Co., Ltd", "杭州天谷信息科技有限公司",
        "Real-name authentication and electronic contracts", "实名认证与电子合同",
        ("login_account", "name", "mobile", "id_number", "bank_card_number"), "Q 4(1)6"),
    RecipientDefinition(
        "partner.payment", "partner", "Payment service providers (WeChat Pay, Alipay)", "支付服务商（微信支付、支付宝）",
        "Open or bind a payment account for collection, payment and transfer", "开通或绑定支付账户，用于收款、付款和转账",
        ("user_id", "avatar", "nickname", "name"), "Q 4(1)3"),
    RecipientDefinition(
        "affiliate.qince", "affiliate", "Qince affiliated companies", "勤策关联公司",
        "Use the affiliates' products with your Qince account and detect account anomalies",
        "使用勤策账号登录关联公司的产品并识别账号异常", ("login_account", "name"), "Q 4(1)5"),
)

_SHARE_STATEMENT_EN = "Share your {types} with {name} for: {purpose}."
_SHARE_STATEMENT_ZH = "为{purpose}，向{name}共享您的{types}。"


def _sharing(recipient: RecipientDefinition, *, is_sensitive: bool = False, category: str = "") -> PurposeDefinition:
    types_en = ", ".join(PI_TYPES[t][0].lower() for t in recipient.pi_types)
    types_zh = "、".join(PI_TYPES[t][1] for t in recipient.pi_types)
    return PurposeDefinition(
        code=f"share.{recipient.code}", kind="sharing",
        name_en=f"Sharing with {recipient.name_en}", name_zh=f"向{recipient.name_zh}共享",
        statement_en=_SHARE_STATEMENT_EN.format(types=types_en, name=recipient.name_en, purpose=recipient.purpose_en),
        statement_zh=_SHARE_STATEMENT_ZH.format(types=types_zh, name=recipient.name_zh, purpose=recipient.purpose_zh),
        source=recipient.source, is_sensitive=is_sensitive, sensitive_category=category, recipient=recipient.code,
    )


def _device(code, name_en, name_zh, statement_en, statement_zh, **extra) -> PurposeDefinition:
    # C3 / Q 2(5): each device permission carries its stated purpose and is off by default.
    return PurposeDefinition(code=f"device.{code}", kind="device_permission", name_en=name_en, name_zh=name_zh,
                             statement_en=statement_en, statement_zh=statement_zh, source="Q 2(5)", **extra)


_RECIPIENT = {recipient.code: recipient for recipient in RECIPIENTS}

PURPOSES: tuple[PurposeDefinition, ...] = (
    PurposeDefinition(
        "basic_service", "basic", "Basic services", "基本业务功能",
        "Your name and mobile number, provided by your enterprise administrator, let you sign in, chat, "
        "verify your mobile number and receive SMS notices. Every basic function needs them; no separate "
        "consent is asked.",
        "企业管理员提供的姓名和手机号用于登录、即时通讯、手机号验证和短信通知。所有基本功能都需要这些信息，无需另行同意。",
        "Q 2(1)1", covers=("accounts.User.mobile", "accounts.User.display_name"), legal_basis="contract_necessity"),
    # C3: device permissions (Q 2(5) tables, iOS and Android).
    _device("location", "Location", "位置信息",
            "Attendance check-in, sign-in and location tracking, so that you do not need to enter geographic "
            "coordinates by hand. Without it you type the place yourself.",
            "用于考勤打卡、签到和位置轨迹，免去手动输入地理坐标。不授权时您可手动填写地点。",
            is_sensitive=True, sensitive_category="whereabouts", covers=("attendance.CheckIn.location",)),
    _device("contacts", "Contacts", "通讯录", "The address book function: import contacts from your phone.",
            "通讯录功能：从手机通讯录导入联系人。"),
    _device("camera", "Camera", "相机",
            "QR-code payment, AI image recognition, photos and short videos, business-card scanning and the "
            "facial recognition you authorise in specific scenes.",
            "扫码支付、AI 图像识别、拍照和短视频、名片识别，以及您在特定场景授权的人脸识别。"),
    _device("microphone", "Microphone", "麦克风", "Voice input in chats and voice declarations, and live streaming.",
            "单聊、群聊和语音申报中的语音输入，以及直播。"),
    _device("calendar", "Calendar", "日历", "Reads your schedule to show visit itineraries and attendance settings.",
            "读取日程，用于拜访行程和考勤设置。"),
    _device("storage", "Storage", "存储",
            "Upload photos, images and videos when you publish content or change your avatar; cache logs and "
            "downloads.", "发布内容或更换头像时上传照片、图片和视频；缓存日志和下载内容。"),
    _device("phone_call", "Phone calls", "拨打电话", "Call colleagues and customers directly from the contact list.",
            "从联系人列表直接拨打电话。"),
    _device("installed_apps", "Installed-app list", "已安装应用列表",
            "Detect virtual-location software on the device (risk control).", "检测设备上的虚拟定位软件（风险控制）。"),
    _device("identifiers", "Device identifiers", "设备标识符",
            "IMEI, MAC, Android ID, IDFA, OPENUDID, GUID and SIM IMSI: one-click login, user analysis, instant "
            "messaging, attendance tracking and log upload.",
            "IMEI、MAC、Android ID、IDFA、OPENUDID、GUID、SIM 卡 IMSI：一键登录、用户分析、即时通讯、考勤轨迹和日志上传。"),
    # C2: sensitive personal information, each with its own explicit consent (Q 1(1)8).
    PurposeDefinition(
        "sensitive.id_number", "sensitive", "ID number", "身份证号",
        "Verify your identity (name, ID number, mobile number) for personal real-name authentication and "
        "electronic contracts.", "用于个人实名认证和电子合同的身份核验（姓名、身份证号、手机号）。",
        "Q 2(2)1(2)", is_sensitive=True, sensitive_category="id_number"),
    PurposeDefinition(
        "sensitive.bank_account", "sensitive", "Bank account", "银行账户",
        "Bind your bank card for payments and electronic contracts.", "绑定银行卡，用于支付和电子合同。",
        "Q 1(1)8", is_sensitive=True, sensitive_category="bank_account"),
    PurposeDefinition(
        "sensitive.property", "sensitive", "Property information", "财产信息",
        "Enterprise payment services that need your property information.", "需要财产信息的企业支付服务。",
        "Q 1(1)8", is_sensitive=True, sensitive_category="property"),
    PurposeDefinition(
        "sensitive.transactions", "sensitive", "Transaction records", "交易信息",
        "Follow payment progress and handle after-sales and disputes.", "跟踪支付进度，处理售后和争议。",
        "Q 4(1)3", is_sensitive=True, sensitive_category="transactions"),
    # C4 / A3: tracking switched on by the enterprise still needs the person's own consent.
    PurposeDefinition(
        "location_tracking", "feature", "Location tracking", "位置轨迹",
        "When your enterprise switches location tracking on, your location is recorded continuously while "
        "you work. Only with this separate consent, and only while the location permission is on.",
        "企业开启位置轨迹后，在您工作期间持续记录位置。仅在您单独同意且开启位置权限时进行。",
        "Q 2(2)5(4)", is_sensitive=True, sensitive_category="whereabouts", requires=("device.location",),
        covers=("attendance.TrackingPing.location",)),
    # C5 / A2: facial check-in collects facial features only with separate biometric consent.
    PurposeDefinition(
        "facial_recognition", "feature", "Facial check-in", "人脸识别打卡",
        "Compare your face with your enrolled base photo to verify who is checking in.",
        "将您的面部与登记的底图比对，核验打卡人身份。",
        "Q 2(2)1(3)", is_sensitive=True, sensitive_category="biometrics", requires=("device.camera",),
        covers=("attendance.FaceEnrolment.embedding",)),
    # C9: partners and affiliates named in the policies.
    *(_sharing(r, is_sensitive=r.code == "partner.tiangu", category="id_number" if r.code == "partner.tiangu" else "")
      for r in RECIPIENTS),
    # C11: public disclosure only with separate consent (or by law, C12).
    PurposeDefinition(
        "public_disclosure", "disclosure", "Public disclosure", "公开披露",
        "Publish personal information about you, for example a violation and the measures taken, only with "
        "this separate consent or where the law requires it.",
        "公开披露您的个人信息（例如违规情况及处理措施），仅在您单独同意或法律要求时进行。", "Q 4(3)"),
    # C11: the enterprise's public "employee of the month" board (consent.views.board) shows a
    # person only with this separate consent; withdrawing takes them off at the next request.
    PurposeDefinition(
        "public.employee_of_the_month", "disclosure", "Employee of the month board", "月度优秀员工榜",
        "Show your name on your enterprise's public employee-of-the-month board, which anyone on the internet "
        "can see, when you are chosen. Without this consent you are never shown there.",
        "当您当选时，在企业对公众开放的月度优秀员工榜上展示您的姓名，任何人都可在互联网上看到。不同意时您不会出现在榜上。",
        "Q 4(3)"),
    # C13: automated push offers a non-personalised option; mailing lists can be left at any time.
    PurposeDefinition(
        "personalised_push", "marketing", "Personalised recommendations", "个性化推送",
        "Choose pushed content from your personal characteristics. Without it you receive the same, "
        "non-personalised content as everyone else.", "根据您的个人特征选择推送内容。不同意时您收到与所有人相同的非个性化内容。",
        "Q 6(5)"),
    PurposeDefinition(
        "marketing_messages", "marketing", "Marketing messages", "营销信息",
        "Product news and offers by SMS or e-mail. You can leave the list at any time.",
        "通过短信或电子邮件发送产品资讯和优惠。您可随时退出。", "Q 3(2)"),
)


def recipient_definition(code: str) -> RecipientDefinition:
    return _RECIPIENT[code]


def third_party_application_purpose_code(application_code: str) -> str:
    return f"share.app.{application_code}"


def third_party_application_recipient_code(application_code: str) -> str:
    return f"app.{application_code}"


# The third-party applications every enterprise can switch on (E6; orgdata's application catalogue
# offers them). Each is a recipient (C9), named in both languages like the policy's recipients:
# (code, name, name in Chinese, provider, provider in Chinese, description).
THIRD_PARTY_APPLICATIONS = (
    ("e-signature", gettext_noop("E-signature"), "电子签名", "Shanghai Qianyin Network Technology Co., Ltd.",
     "上海千印网络科技有限公司", gettext_noop("Sign contracts electronically with a third-party signing service.")),
    ("expense-cards", gettext_noop("Corporate expense cards"), "企业费用卡", "Hangzhou Fenqi Payment Services Co., Ltd.",
     "杭州分期支付服务有限公司", gettext_noop("Company payment cards issued by a partner bank service.")),
)


def _application_recipients() -> tuple[RecipientDefinition, ...]:
    """Third-party applications of the platform's catalogue (E6): each is a recipient (C9)."""
    return tuple(
        RecipientDefinition(
            third_party_application_recipient_code(code), "third_party_application", provider_en or name_en,
            provider_zh or name_zh, f"The {name_en} application", f"{name_zh}应用",
            THIRD_PARTY_APPLICATION_PI_TYPES, "Q 4(1)4")
        for code, name_en, name_zh, provider_en, provider_zh, _description in THIRD_PARTY_APPLICATIONS
    )


def application_purpose(recipient: RecipientDefinition) -> PurposeDefinition:
    """C9 (Q 4(1)4): switching a third-party application on shares login account, avatar, name, mobile."""
    application_code = recipient.code.removeprefix("app.")
    shared = _sharing(recipient)
    return PurposeDefinition(**{**shared.__dict__, "code": third_party_application_purpose_code(application_code)})


APPLICATION_RECIPIENTS = _application_recipients()
ALL_RECIPIENTS = RECIPIENTS + APPLICATION_RECIPIENTS
ALL_PURPOSES = PURPOSES + tuple(application_purpose(r) for r in APPLICATION_RECIPIENTS)
_RECIPIENT.update({recipient.code: recipient for recipient in APPLICATION_RECIPIENTS})


def definition_hash(definition: PurposeDefinition) -> str:
    """The digest of what people consent to: when it changes, earlier consent no longer covers the
    purpose (C7). Stored on each purpose row as the definition it was last brought in step with."""
    content = {key: value for key, value in asdict(definition).items() if key not in ("revision",)}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --- C3: what the app shows before the system's permission prompt --------------------------------

@dataclass(frozen=True)
class PrePrompt:
    """What stops working without a device permission, shown with its stated purpose (the
    purpose's statement) before the phone's own prompt, so the person decides knowing both."""

    without_en: str
    without_zh: str

    def without(self, language: str) -> str:
        return self.without_zh if language.lower().startswith("zh") else self.without_en


# One entry per device permission of PURPOSES (tests/consent/test_device_permissions.py fails
# when a permission is added without one): the app may ask for none before showing it.
DEVICE_PERMISSION_PROMPTS: dict[str, PrePrompt] = {
    "device.location": PrePrompt(
        "Check-in and sign-in cannot fill in where you are: you type the place yourself. Location tracking "
        "stays off.", "考勤打卡和签到无法自动获取您的位置，需要您手动填写地点；位置轨迹保持关闭。"),
    "device.contacts": PrePrompt(
        "You cannot import contacts from your phone; the enterprise address book still works.",
        "无法从手机通讯录导入联系人；企业通讯录仍可使用。"),
    "device.camera": PrePrompt(
        "You cannot scan QR codes, take photos or videos in the app, scan business cards or check in by face.",
        "无法扫码、在应用内拍照或录像、识别名片，也无法使用人脸识别打卡。"),
    "device.microphone": PrePrompt(
        "You cannot send voice messages, make voice declarations or speak in live streams.",
        "无法发送语音消息、进行语音申报或在直播中发言。"),
    "device.calendar": PrePrompt(
        "Visit itineraries and attendance settings are not shown with your phone's schedule.",
        "拜访行程和考勤设置不会与手机日程一起显示。"),
    "device.storage": PrePrompt(
        "You cannot upload photos or images from your phone (for example a new avatar or seal image), and "
        "downloads and logs are not kept on the phone.",
        "无法从手机上传照片或图片（例如更换头像或印章图片），下载内容和日志也不会缓存在手机上。"),
    "device.phone_call": PrePrompt(
        "You cannot call colleagues and customers straight from the contact list; you dial the number yourself.",
        "无法从联系人列表直接拨打电话，需要您自行拨号。"),
    "device.installed_apps": PrePrompt(
        "Check-ins are not checked for virtual-location software; your enterprise may ask you to confirm "
        "where you are another way.", "无法检测虚拟定位软件；企业可能要求您以其他方式确认位置。"),
    "device.identifiers": PrePrompt(
        "One-click login and attendance tracking do not work; you sign in with your mobile number and password.",
        "一键登录和考勤轨迹无法使用；您需使用手机号和密码登录。"),
}

# A permission added at runtime (C7) without its own text: the app still shows this.
GENERIC_PRE_PROMPT = PrePrompt("The functions described above do not work without it; everything else does.",
                               "不授权时，上述功能无法使用；其他功能不受影响。")

# C3: data the app sends from the phone that needs a device permission first (registry field →
# permission). Fields a purpose `covers` (the GPS location of a check-in: device.location) are
# refused by the model guard already; these are values an administrator may also write for the
# person (an avatar), so only the person's own upload from the app asks (gate.require_permission_for).
APP_UPLOAD_PERMISSIONS: dict[str, str] = {
    # The catalogue's storage permission: "Upload photos, images and videos when you ... change your avatar".
    "orgdata.Employee.avatar": "device.storage",
    "orgdata.Employee.seal_image": "device.storage",
}
