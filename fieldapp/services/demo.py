"""A realistic, bilingual demo study to explore fieldapp with (never real people).

A study of how local governments contract welfare services to NGOs: 5 sites × 3 sectors,
organisations and participants with consent (one participant has withdrawn and was erased, one
allows no verbatim quotes), interviews whose notes mix Chinese and English, a bilingual
codebook and codings. Deterministic for a given seed, so tests can rely on it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from fieldapp.services import records
from fieldapp.services.session import create_workspace
from fieldapp.store.workspace import Workspace

SITES = [
    ("KM", "昆明", "Kunming"), ("CD", "成都", "Chengdu"), ("GZ", "广州", "Guangzhou"),
    ("ZZ", "郑州", "Zhengzhou"), ("NN", "南宁", "Nanning"),
]
SECTORS = [
    ("HIV", "艾滋病防治", "HIV/AIDS"), ("DIS", "残障儿童", "Children with disabilities"),
    ("MIG", "流动人口", "Migrants"),
]
ORG_TEMPLATES = {
    "HIV": [("{city}红丝带关爱中心", "{en} Red Ribbon Care Centre", "registered_ngo"),
            ("{city}同伴支持小组", "{en} Peer Support Group", "grassroots"),
            ("{city}市疾病预防控制中心", "{en} Municipal CDC", "government")],
    "DIS": [("{city}星语康复中心", "{en} Star Language Rehabilitation Centre", "registered_ngo"),
            ("{city}市残疾人联合会", "{en} Disabled Persons' Federation", "gongo"),
            ("{city}融合教育家长互助会", "{en} Inclusive Education Parents' Network", "grassroots")],
    "MIG": [("{city}新市民服务社", "{en} New Citizens Service Society", "registered_ngo"),
            ("{city}市民政局", "{en} Civil Affairs Bureau", "government"),
            ("{city}打工者之家", "{en} Migrant Workers' Home", "grassroots")],
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "晓明", "建国", "海燕", "志强", "玉兰"]
ROLES = [("项目主任", "programme director"), ("社工", "social worker"), ("科长", "section chief"),
         ("志愿者", "volunteer"), ("机构负责人", "head of organisation"), ("副主任", "deputy director")]

PARAGRAPHS_ZH = [
    "受访者介绍了{org}近三年承接政府购买服务项目的情况，合同金额每年大约在{amount}万元左右。",
    "她提到项目评估主要由第三方机构进行，但评估指标偏重活动次数，难以反映服务质量。",
    "关于登记注册，受访者说机构曾多次尝试在民政局登记，最终通过挂靠在{gov}下面才获得资格。",
    "在艾滋病防治领域，社区组织的作用越来越被认可，但经费拨付常常延迟三到六个月。",
    "受访者认为街道办对社会组织的信任在增加，尤其是在疫情之后，很多服务都交给了社会组织。",
    "他强调“我们不是政府的手脚，而是合作伙伴”，希望合同中能体现更多的自主空间。",
    "残障儿童的康复服务需求很大，但专业人员流失严重，社工的工资只有当地平均工资的六成左右。",
    "流动人口子女的入学问题仍然是最迫切的需求，机构通过课后托管项目与教育局建立了联系。",
    "访谈中多次提到招投标程序复杂，小型草根组织很难满足资质要求。",
    "受访者提到{name}老师在项目初期给了很多支持，帮助机构理解政府的考核要求。",
]
PARAGRAPHS_EN = [
    "Interviewee stressed that the contract (合同) is renewed every year, which makes long-term "
    "planning very difficult for staff retention.",
    "Follow-up: ask about the third-party evaluation report and whether it is shared with the "
    "NGO. Possible document request.",
    "Memo: the relationship with the street office seems more trusting than in other sites; "
    "compare with {other}.",
    "Observed a peer-support session for people living with HIV; about 12 participants, "
    "facilitated by a volunteer.",
    "She described the bidding process as 'a paperwork marathon' — small grassroots groups "
    "cannot compete with GONGOs.",
    "Key theme: government purchase of services as a way to outsource risk rather than to "
    "build capacity.",
]
CODEBOOK = [
    ("政府购买服务", "Government purchase of services", "政府通过合同向社会组织购买公共服务。",
     "Government contracting public services to social organisations.", "#e67e22", [
         ("招投标", "Bidding and tendering", "#f0b27a"),
         ("合同管理", "Contract management", "#f5cba7"),
         ("绩效评估", "Performance evaluation", "#fad7a0"),
     ]),
    ("登记注册", "Registration", "社会组织的登记、挂靠与合法性。",
     "Registration, sponsorship and legal status of organisations.", "#2e86c1", [
         ("挂靠", "Affiliation with a sponsor", "#85c1e9"),
     ]),
    ("政社关系", "State–NGO relations", "政府部门与社会组织之间的信任、依赖与自主。",
     "Trust, dependence and autonomy between state agencies and NGOs.", "#28b463", [
         ("信任", "Trust", "#82e0aa"),
         ("自主性", "Autonomy", "#abebc6"),
     ]),
    ("资金", "Funding", "经费来源、拨付与可持续性。", "Sources, disbursement and sustainability.",
     "#c0392b", [("拨付延迟", "Late disbursement", "#f1948a")]),
    ("人员", "Staffing", "社工与专业人员的招募、流失与待遇。",
     "Recruitment, turnover and pay of social workers and professionals.", "#8e44ad", []),
]


def _rand_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def populate(ws: Workspace, seed: int = 2026, interviews: int = 60) -> dict[str, int]:
    rng = random.Random(seed)
    records.set_study(
        ws, title_zh="地方政府向社会组织购买福利服务研究",
        title_en="Local government contracting of welfare services to NGOs",
        sites=[{"code": c, "name_zh": z, "name_en": e} for c, z, e in SITES],
        sectors=[{"code": c, "name_zh": z, "name_en": e} for c, z, e in SECTORS],
        targets={f"{s[0]}|{t[0]}": 8 for s in SITES for t in SECTORS},
    )
    # Codebook
    code_ids: list[str] = []
    for name_zh, name_en, def_zh, def_en, colour, children in CODEBOOK:
        parent = records.add_code(ws, name_zh=name_zh, name_en=name_en, definition_zh=def_zh,
                                  definition_en=def_en, colour=colour)
        code_ids.append(parent)
        for c_zh, c_en, c_colour in children:
            code_ids.append(records.add_code(ws, name_zh=c_zh, name_en=c_en, parent_id=parent,
                                             colour=c_colour))
    # Organisations: 5 sites × 3 sectors × up to 3 kinds, about 40
    orgs: list[tuple[str, str, str, str]] = []  # id, site, sector, name_zh
    gov_names: dict[str, str] = {}
    for site, city, en in SITES:
        for sector, _z, _e in SECTORS:
            templates = ORG_TEMPLATES[sector]
            picks = templates if len(orgs) < 40 - 2 else templates[:2]
            for zh, eng, kind in picks[: 3 if (len(orgs) % 5) else 2]:
                name_zh, name_en = zh.format(city=city), eng.format(en=en)
                oid = records.add_organisation(
                    ws, name_zh=name_zh, name_en=name_en, kind=kind, site=site, sector=sector,
                    registration="registered" if kind != "grassroots" else "unregistered",
                    credit_code=(f"5153{rng.randrange(10**13, 10**14)}X"
                                 if kind == "registered_ngo" else ""),
                )
                orgs.append((oid, site, sector, name_zh))
                if kind == "government":
                    gov_names[site] = name_zh
    # Participants with identities and consent
    participants: list[tuple[str, str, str, str]] = []  # id, site, sector, org_id
    counters: dict[tuple[str, str], int] = {}
    for i in range(40):
        oid, site, sector, _org_name = orgs[i % len(orgs)]
        counters[(site, sector)] = counters.get((site, sector), 0) + 1
        code = f"{site}-{sector}-{counters[(site, sector)]:03d}"
        role_zh, role_en = rng.choice(ROLES)
        pid = records.add_participant(
            ws, code=code, role=f"{role_zh} / {role_en}", organisation_id=oid, site=site,
            sector=sector,
            identity={"real_name": _rand_name(rng),
                      "phone": f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                      "wechat": f"wx_{rng.randrange(10**5, 10**6)}"})
        scopes = ["audio", "verbatim_quotes", "archiving"]
        if i == 7:
            scopes = ["audio"]  # this participant allows no verbatim quotes
        records.record_consent(
            ws, pid, form_version="v2.1", language=rng.choice(["zh", "zh", "en"]),
            method=rng.choice(["written", "written", "oral", "recorded"]),
            date_given=date(2026, 3, 1) + timedelta(days=i * 3), scopes=scopes,
            witness=rng.choice(["", "", "项目助理"]))
        participants.append((pid, site, sector, oid))
    # Interviews with notes and codings
    leaf_codes = code_ids
    made = 0
    for n in range(interviews):
        pid, site, sector, oid = participants[n % len(participants)]
        org = records.get(ws, "organisation", oid)
        when = date(2026, 4, 1) + timedelta(days=n * 2)
        iid = records.add_interview(
            ws, code=f"{site}-{sector}-I{n + 1:03d}", participant_ids=[pid],
            title=f"{org['name_zh']}访谈", site=site, sector=sector, organisation_id=oid,
            date=when.isoformat(), place=rng.choice(["机构办公室", "茶馆", "街道办会议室", "线上"]),
            language=rng.choice(["zh", "zh", "mixed"]), interviewer=rng.choice(["林晓", "Anna"]),
            mode=rng.choice(["in_person", "in_person", "phone", "video"]),
            status=rng.choice(["done", "transcribed", "coded"]))
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            if rng.random() < 0.7:
                paragraphs.append(rng.choice(PARAGRAPHS_ZH).format(
                    org=org["name_zh"], amount=rng.randint(8, 60),
                    gov=gov_names.get(site, "民政局"), name=_rand_name(rng)))
            else:
                paragraphs.append(rng.choice(PARAGRAPHS_EN).format(
                    other=rng.choice(SITES)[2]))
        body = "\n\n".join(paragraphs)
        nid = records.add_note(ws, iid, kind="field_notes", body=body)
        if n % 3 == 0:
            records.add_note(ws, iid, kind="memo",
                             body=rng.choice(PARAGRAPHS_EN).format(other=rng.choice(SITES)[2]))
        # Code the first two paragraphs
        offset = 0
        for para in paragraphs[:2]:
            records.apply_code(ws, nid, rng.choice(leaf_codes), offset, offset + len(para),
                               may_quote=rng.random() < 0.6)
            offset += len(para) + 2
        made += 1
    # Analytic memos: on the project, on a code and on the first interviews.
    from fieldapp.services import memos

    memos.add_memo(ws, title="比较框架", body="昆明与广州的购买服务流程差异：合同周期、评估指标、"
                   "拨款时间。Compare contract length and evaluation criteria across sites.")
    memos.add_memo(ws, about="code", code_id=leaf_codes[0], title="定义的边界",
                   body="只编码明确提到合同或招投标的段落。")
    for interview in records.list_records(ws, "interview", limit=2):
        memos.add_memo(ws, about="interview", interview_id=interview["id"], title="访谈后反思",
                       body="受访者谈到资金拨付延迟时很谨慎，下次可以追问街道办的角色。")
    # One participant withdrew: everything about them is erased (visible in the audit log).
    withdrawn = participants[-1][0]
    records.withdraw_consent(ws, withdrawn, reason="participant_request",
                             withdrawn_on="2026-06-30")
    return {"organisations": len(orgs), "participants": len(participants), "interviews": made}


def create_demo(path: Path | str, passphrase: str, seed: int = 2026
                ) -> tuple[Workspace, str]:
    ws, recovery = create_workspace(path, passphrase, researcher="林晓 (demo)")
    populate(ws, seed)
    return ws, recovery
