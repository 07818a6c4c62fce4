"""Realistic address-book files for the orgdata benchmarks: Chinese names, mainland mobiles,
valid resident ID numbers, a tree of 300 departments."""
import csv
import io
import random
from datetime import date, timedelta

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
REGIONS = ("110105", "310115", "440305", "330106", "510107", "420111", "320102", "370202")
PREFIXES = ("139", "138", "137", "136", "135", "150", "151", "158", "186", "188", "189", "177")
HEADER = ["工号", "姓名", "手机号", "部门", "职位", "职级", "入职日期", "身份证号", "性别", "邮箱"]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(randomiser: random.Random, n: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=randomiser.randrange(365 * 40))
    first_17 = f"{randomiser.choice(REGIONS)}{birth:%Y%m%d}{n % 1000:03d}"
    return first_17 + "10X98765432"[sum(int(d) * w for d, w in zip(first_17, _WEIGHTS)) % 11]


def departments(count: int = 300) -> list[str]:
    """300 department paths: 1 head office, 14 divisions, the rest teams below them."""
    paths = ["总部"]
    divisions = [f"总部/事业部{d:02d}" for d in range(1, 15)]
    paths += divisions
    team = 0
    while len(paths) < count:
        paths.append(f"{divisions[team % len(divisions)]}/小组{team:03d}")
        team += 1
    return paths


def rows(count: int, seed: int = 2026):
    randomiser = random.Random(seed)
    tree = departments()
    used_ids = set()
    for n in range(count):
        name = randomiser.choice(SURNAMES) + "".join(randomiser.choice(GIVEN) for _ in range(randomiser.choice((1, 2))))
        mobile = f"{PREFIXES[n % len(PREFIXES)]}{n:08d}"
        id_number = _id_number(randomiser, n)
        while id_number in used_ids:
            id_number = _id_number(randomiser, n + 1)
        used_ids.add(id_number)
        entry = date(2010, 1, 1) + timedelta(days=randomiser.randrange(365 * 15))
        yield [f"E{n:07d}", name, mobile, tree[n % len(tree)], randomiser.choice(("工程师", "专员", "主管", "经理")),
               f"P{randomiser.randrange(3, 10)}", entry.isoformat(), id_number, randomiser.choice(("男", "女")),
               f"e{n}@example.com"]


def csv_bytes(count: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(count))
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(count: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in rows(count):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_file(content: bytes, name: str):
    """Import `content` into the current enterprise in this process (no worker), as its manager:
    the upload is stored and queued as in the console, checked, confirmed, then written here exactly
    as the worker processes it (the queued tasks find the job moved on and do nothing). The time
    includes both passes over the file."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    from accounts.models import User
    from orgdata.services.imports import jobs as import_services

    manager = User.objects.get(role=User.Role.MANAGER)
    with override_settings(ORGDATA_IMPORT_QUEUE="bench-unconsumed"):  # no worker takes it first
        job = import_services.start_import(actor=manager, upload=SimpleUploadedFile(name, content), consent_confirmed=True)
        job = import_services.run_import(job_id=job.pk, attempt=job.attempt)  # the check and its preview
        if job.status != "ready":
            return job
        # As the administrator who reads the preview and chooses to create its positions and job levels.
        job = import_services.confirm_import(actor=manager, job=job, create_new_values=True)
    return import_services.run_import(job_id=job.pk, attempt=job.attempt)


def export_file(manager, file_format: str):
    """Export the current enterprise's address book in this process, as the worker runs it."""
    from django.test import override_settings

    from orgdata.services import exports as export_services

    with override_settings(ORGDATA_IMPORT_QUEUE="bench-unconsumed"):  # no worker takes it first
        job = export_services.start_export(actor=manager, file_format=file_format)
    job = export_services.run_export(job_id=job.pk)
    assert job.status == "succeeded", (job.status, job.failure_reason)
    return job
