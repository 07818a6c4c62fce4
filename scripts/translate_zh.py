"""Fill the zh-Hans catalogue from the glossary below, then compile it.

Run after `manage.py makemessages -l zh_Hans`: `python scripts/translate_zh.py`. Entries missing
from the glossary stay untranslated (and are listed) so a reviewer sees them.
"""
import subprocess
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

GLOSSARY = {
    "mobile number": "手机号",
    "Mobile number": "手机号",
    "Mobile number or password is incorrect.": "手机号或密码不正确。",
    "Invalid token header.": "令牌请求头无效。",
    "Invalid or expired token.": "令牌无效或已过期。",
    "This token was issued to another device.": "此令牌签发给了另一台设备。",
    "Enterprise manager": "企业主管理员",
    "Sub-administrator": "子管理员",
    "Employee": "员工",
    "Platform support staff": "平台支持人员",
    "name": "姓名",
    "role": "角色",
    "active": "启用",
    "platform staff": "平台人员",
    "account": "账号",
    "accounts": "账号",
    "Too many failed sign-in attempts. Try again in 15 minutes.": "登录失败次数过多，请 15 分钟后再试。",
    "Enter a valid mainland China mobile number.": "请输入有效的中国大陆手机号。",
    "Some fields are invalid.": "部分字段无效。",
    "Something went wrong on our side.": "服务器出现问题，请稍后再试。",
    "employee number": "工号",
    "position": "职位",
    "Too many attempts": "尝试次数过多",
    "Enterprise console": "企业管理后台",
    "Platform": "平台",
    "Main": "主导航",
    "Dashboard": "工作台",
    "Language": "语言",
    "Sign out": "退出登录",
    "Welcome to %(name)s": "欢迎使用 %(name)s",
    "Employees": "员工",
    "Departments": "部门",
    "Active accounts": "启用的账号",
    "Administrators": "管理员",
    "Sign in": "登录",
    "Sign in to the console": "登录管理后台",
    "Not available": "暂不可用",
    "Suspend selected enterprises": "暂停所选企业",
    "Reactivate selected enterprises": "恢复所选企业",
    "No enterprise has this code.": "没有使用此代码的企业。",
    "Being set up": "开通中",
    "Active": "正常",
    "Suspended": "已暂停",
    "Being cancelled": "注销中",
    "Cancelled": "已注销",
    "Free": "免费版",
    "Paid": "付费版",
    "Mainland China": "中国大陆",
    "enterprise code": "企业代码",
    "Employees type this code in the mobile app to find their enterprise.": "员工在手机应用中输入此代码以找到所属企业。",
    "location": "所在地",
    "industry type": "行业类型",
    "personnel size": "人员规模",
    "status": "状态",
    "plan": "版本",
    "paid until": "付费截止日期",
    "data region": "数据存储地域",
    "settings": "设置",
    "This enterprise's service is suspended.": "该企业的服务已暂停。",
    "This enterprise's account is being cancelled.": "该企业账号正在注销。",
    "This enterprise's account has been cancelled.": "该企业账号已注销。",
    "This enterprise is still being set up.": "该企业仍在开通中。",
    "No enterprise is served at this address.": "此地址未对应任何企业。",
    "Not available.": "暂不可用。",
    "Only enterprise administrators can use the console. Use the mobile app instead.": "只有企业管理员可以使用管理后台，请使用手机应用。",
    "The current password is incorrect.": "当前密码不正确。",
    "A stable identifier of this device; send it as X-Device-Id on every request.": "本设备的稳定标识；每次请求都请在 X-Device-Id 请求头中发送。",
    "Use 3–40 lower-case letters, digits and hyphens, starting with a letter.": "请使用 3–40 位小写字母、数字和连字符，并以字母开头。",
}
PLURALS = {
    "Your password must mix at least %(count)d kind of character: lower case, upper case, digits, symbols.":
        ["密码必须至少包含 %(count)d 类字符：小写字母、大写字母、数字、符号。"],
}


def _unquote(lines: list[str]) -> str:
    return "".join(line[line.index('"') + 1:line.rindex('"')] for line in lines)


def _fill(entry: str, missing: list[str]) -> str:
    """Return one catalogue entry (block of lines) with its translation filled in."""
    lines = entry.split("\n")
    keyed: dict[str, list[str]] = {}
    order: list[str] = []
    for line in lines:
        if line.startswith(("msgid", "msgstr")):
            key = line.split(" ", 1)[0]
            order.append(key)
            keyed[key] = [line]
        elif line.startswith('"') and order:
            keyed[order[-1]].append(line)
    msgid = _unquote(keyed.get("msgid", ['""']))
    if not msgid:
        return entry
    comments = [line for line in lines if line.startswith("#") and line != "#, fuzzy"]
    head = comments + keyed["msgid"] + keyed.get("msgid_plural", [])
    if "msgid_plural" in keyed:
        if msgid not in PLURALS:
            missing.append(msgid)
            return entry
        return "\n".join(head + [f'msgstr[0] "{PLURALS[msgid][0]}"'])
    if msgid not in GLOSSARY:
        missing.append(msgid)
        return entry
    return "\n".join(head + [f'msgstr "{GLOSSARY[msgid]}"'])


def main() -> int:
    text = PO.read_text(encoding="utf-8")
    missing: list[str] = []
    entries = text.strip("\n").split("\n\n")
    text = "\n\n".join(_fill(entry, missing) for entry in entries) + "\n"
    text = text.replace('"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"', '"Plural-Forms: nplurals=1; plural=0;\\n"')
    text = text.replace("#, fuzzy\n", "", 1)
    PO.write_text(text, encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(PO.with_suffix(".mo")), str(PO)], check=True)
    for msgid in missing:
        print(f"untranslated: {msgid}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
