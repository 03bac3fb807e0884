"""Load invented, realistic demo data: sessions, units, users, proposals and their workflow.

Everything goes through the services (so the audit chain holds) and is deterministic for a
given seed and a given day: the current session's dates are placed relative to today, so its
cases are spread over overdue, due soon and on track whenever the demo is loaded.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from tracker.auth.models import Role, User
from tracker.auth.services import save_user
from tracker.directory.models import CouncilSession, Unit
from tracker.directory.services import save_session, save_unit
from tracker.extensions import db
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Proposal,
    ProposalKind,
)
from tracker.proposals.services import (
    ProposalData,
    assign_unit,
    decide_extension,
    perform_action,
    request_extension,
    save_proposal,
)
from tracker.proposals.workflow import TRANSITIONS, Action, Actor, AssignmentStatus

DEMO_PASSWORD = "demo-pass-2025"
COUNCIL = "深圳市政协"
EXTENSION_APPROVER = "市政协提案委员会"
BATCH_SIZE = 200  # proposals per commit in big runs; keeps the session's memory bounded

S = AssignmentStatus
A = Action

# ---------------------------------------------------------------------------------------------
# Units: (key, name, short name). The keys are only used inside this module.
# ---------------------------------------------------------------------------------------------

UNITS: tuple[tuple[str, str, str], ...] = (
    ("fgw", "市发展和改革委员会", "市发展改革委"),
    ("jyj", "市教育局", "市教育局"),
    ("kcw", "市科技创新委员会", "市科技创新委"),
    ("gxj", "市工业和信息化局", "市工业和信息化局"),
    ("gaj", "市公安局", "市公安局"),
    ("jgj", "市公安局交通警察局", "市公安交警局"),
    ("mzj", "市民政局", "市民政局"),
    ("sfj", "市司法局", "市司法局"),
    ("czj", "市财政局", "市财政局"),
    ("rsj", "市人力资源和社会保障局", "市人力资源保障局"),
    ("ghzy", "市规划和自然资源局", "市规划和自然资源局"),
    ("sthj", "市生态环境局", "市生态环境局"),
    ("zjj", "市住房和建设局", "市住房建设局"),
    ("jtj", "市交通运输局", "市交通运输局"),
    ("swj", "市水务局", "市水务局"),
    ("swu", "市商务局", "市商务局"),
    ("wlj", "市文化广电旅游体育局", "市文化广电旅游体育局"),
    ("wjw", "市卫生健康委员会", "市卫生健康委"),
    ("tyjr", "市退役军人事务局", "市退役军人事务局"),
    ("yjj", "市应急管理局", "市应急管理局"),
    ("sjj", "市审计局", "市审计局"),
    ("gzw", "市人民政府国有资产监督管理委员会", "市国资委"),
    ("scjg", "市市场监督管理局", "市市场监管局"),
    ("tjj", "市统计局", "市统计局"),
    ("ybj", "市医疗保障局", "市医保局"),
    ("cgj", "市城市管理和综合执法局", "市城管和综合执法局"),
    ("zsj", "市政务服务数据管理局", "市政务服务数据管理局"),
    ("jrj", "市地方金融监督管理局", "市地方金融监管局"),
    ("qh", "市前海管理局", "前海管理局"),
    ("qxj", "市气象局", "市气象局"),
    ("sw", "国家税务总局深圳市税务局", "市税务局"),
    ("xf", "市消防救援支队", "市消防救援支队"),
    ("gjj", "市住房公积金管理中心", "市公积金中心"),
    ("kab", "市人民政府口岸办公室", "市口岸办"),
    ("xfj", "市信访局", "市信访局"),
    ("cl", "市残疾人联合会", "市残联"),
    ("fl", "市妇女联合会", "市妇联"),
    ("tsw", "共青团深圳市委员会", "团市委"),
    ("zgh", "市总工会", "市总工会"),
    ("kx", "市科学技术协会", "市科协"),
    ("dt", "深圳市地铁集团有限公司", "深圳地铁集团"),
    ("gd", "深圳供电局有限公司", "深圳供电局"),
)

# (username, unit key, role, display name)
USERS: tuple[tuple[str, str | None, Role, str], ...] = (
    ("supervisor", None, Role.SUPERVISOR, "陈晓岚（督查室）"),
    ("clerk_fgw", "fgw", Role.CLERK, "林嘉宁（市发展改革委）"),
    ("clerk_jyj", "jyj", Role.CLERK, "黄思远（市教育局）"),
    ("viewer_jyj", "jyj", Role.VIEWER, "周敏（市教育局）"),
    ("clerk_jtj", "jtj", Role.CLERK, "郑浩然（市交通运输局）"),
    ("clerk_sthj", "sthj", Role.CLERK, "邓雅琳（市生态环境局）"),
    ("clerk_wjw", "wjw", Role.CLERK, "罗志强（市卫生健康委）"),
    ("clerk_zjj", "zjj", Role.CLERK, "许晓东（市住房建设局）"),
    ("clerk_mzj", "mzj", Role.CLERK, "何丽萍（市民政局）"),
)
CLERK_UNITS = frozenset(key for _, key, role, _ in USERS if role is Role.CLERK)


# ---------------------------------------------------------------------------------------------
# Topics: what a proposal is about, who handles it, and the phrases its text is built from.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    cores: tuple[str, ...]  # 关于<core>的提案
    leads: tuple[str, ...]  # units that may lead or handle alone
    partners: tuple[str, ...]  # units that may co-handle or take a split part
    background: str
    problems: tuple[str, str, str]
    measures: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        ("完善碳普惠机制、引导市民绿色低碳生活", "深化碳普惠体系建设", "拓展个人碳账户应用场景"),
        ("fgw", "sthj"),
        ("jtj", "swu", "jrj", "zjj"),
        "近年来，我市积极探索碳普惠机制，市民低碳出行、节约用电、垃圾分类等行为逐步纳入减排量核算",
        (
            "个人减排量核算方法尚不统一，各平台数据互不相通",
            "积分兑换渠道单一，对市民的激励作用有限",
            "企业参与碳普惠的积极性不高，可持续的运营模式尚未形成",
        ),
        (
            "统一个人减排量核算方法，建设全市统一的碳普惠数据平台",
            "拓展碳积分兑换场景，推动公共交通、文旅场馆等接入积分抵扣",
            "研究将碳普惠减排量纳入碳排放权交易抵销机制",
            "鼓励金融机构开发与个人碳账户挂钩的绿色金融产品",
            "在学校和社区开展低碳生活宣传，培育绿色消费习惯",
        ),
    ),
    Topic(
        ("加快推进老旧小区加装电梯", "破解既有住宅加装电梯难题", "优化既有住宅加装电梯审批流程"),
        ("zjj",),
        ("ghzy", "scjg", "czj", "gjj", "xf"),
        "我市建成于上世纪八九十年代的多层住宅数量较多，老年住户比例逐年上升，上下楼难成为居民的急难愁盼问题",
        (
            "业主意见难以统一，低层住户对采光、噪声等影响顾虑较多",
            "审批涉及规划、消防、特种设备等多个环节，办理周期较长",
            "财政补贴标准偏低，后期维保费用分摊缺乏机制",
        ),
        (
            "推行加装电梯“一站式”联合审批，压缩办理时限",
            "发挥社区党组织和居委会作用，建立业主协商议事规则",
            "适当提高财政补贴标准，支持提取住房公积金用于加装电梯",
            "制定加装电梯后期运维管理指引，明确维保责任和费用分摊办法",
            "推广标准化、装配式电梯设计方案，降低建设和改造成本",
        ),
    ),
    Topic(
        ("完善社区居家养老服务体系", "加快发展社区嵌入式养老服务", "提升社区养老服务质量"),
        ("mzj",),
        ("wjw", "ybj", "czj", "rsj", "zjj"),
        "我市正处于人口老龄化加速期，老年人口持续增加，居家和社区养老服务需求快速增长",
        (
            "社区养老服务设施布局不均衡，部分片区服务半径过大",
            "专业护理人员短缺，薪酬待遇偏低、流失率较高",
            "医养结合服务衔接不畅，失能老人家庭照护负担重",
        ),
        (
            "按照“一街道一综合体、一社区一站点”的标准补齐养老服务设施",
            "建立养老护理员职业技能等级与薪酬挂钩机制，落实入职补贴",
            "推动社区健康服务中心与养老服务站点签约合作，提供上门医疗服务",
            "稳步推进长期护理保险制度，减轻失能老人家庭负担",
            "发展家庭养老床位，为居家失能老人提供专业照护",
        ),
    ),
    Topic(
        ("增加义务教育学位供给", "破解部分片区义务教育学位紧张问题", "优化义务教育学位规划布局"),
        ("jyj",),
        ("ghzy", "fgw", "zjj", "czj"),
        "随着人口持续流入，我市部分区义务教育阶段学位需求持续高位运行",
        (
            "部分片区学位缺口较大，大班额现象仍然存在",
            "学校建设用地紧张，新建、扩建项目前期工作周期长",
            "学位需求预测与城市更新、人口变化的衔接不够紧密",
        ),
        (
            "建立基于人口大数据的学位需求预测预警机制",
            "在城市更新和土地整备中优先保障教育设施用地",
            "推广高密度校园设计，挖掘存量学校扩容潜力",
            "加快推进装配式校舍建设，缓解短期学位压力",
            "完善积分入学办法，增强学位分配的公平性和透明度",
        ),
    ),
    Topic(
        ("加快新能源汽车充电基础设施建设", "破解老旧小区充电桩安装难题", "完善公共充电网络布局"),
        ("fgw",),
        ("gd", "zjj", "jtj", "ghzy", "scjg"),
        "近年来，我市新能源汽车保有量快速增长，市民充电需求日益旺盛",
        (
            "老旧小区充电桩报装难，电力增容受到限制",
            "公共充电设施分布不均，高峰时段排队现象突出",
            "部分充电桩故障率高、运维不到位，长期占用车位",
        ),
        (
            "将充电设施纳入城市更新和老旧小区改造的配套内容",
            "推动超级充电站向城中村、产业园区延伸布局",
            "建立全市统一的充电设施监测服务平台，实时公开桩位状态",
            "明确物业服务企业配合业主安装充电设施的责任",
            "完善充电设施运维考核，清理长期闲置的故障充电桩",
        ),
    ),
    Topic(
        ("深化河道综合治理", "巩固水污染治理成效、提升碧道品质", "加强小微水体整治"),
        ("swj",),
        ("sthj", "cgj", "ghzy", "czj"),
        "我市全面消除黑臭水体后，河湖水质总体改善，碧道成为市民亲水休闲的新空间",
        (
            "部分支流和小微水体在雨季仍有返黑返臭现象",
            "雨污分流管网存在错接混接，溢流污染时有发生",
            "碧道沿线配套设施不足，管养责任较为分散",
        ),
        (
            "开展小微水体排查整治，建立“一河一档”动态管理",
            "加快管网错接混接整改，推进厂、网、河一体化运营",
            "完善碧道沿线公厕、照明、休憩等便民设施",
            "明确河道管养主体，建立跨区联动巡查机制",
            "利用物联网监测手段对重点河段水质实时预警",
        ),
    ),
    Topic(
        ("推进无障碍环境建设", "提升公共空间无障碍设施的系统性", "加强信息无障碍建设"),
        ("zjj", "cl"),
        ("jtj", "cgj", "zsj", "mzj"),
        "我市出台无障碍城市建设相关法规以来，无障碍环境建设取得积极进展",
        (
            "部分公共建筑和道路的无障碍设施不连贯、不成系统",
            "盲道被占用、无障碍卫生间挪作他用等问题仍较突出",
            "政务服务网站和手机应用的信息无障碍水平参差不齐",
        ),
        (
            "开展无障碍设施专项排查，重点打通出行“最后一米”",
            "建立由残障人士和老年人参与的无障碍体验监督员制度",
            "推动政务服务平台和公共服务类应用完成适老化、无障碍改造",
            "将无障碍设施日常维护纳入城市管理考核",
            "加强无障碍设计规范培训，严把新建项目验收关",
        ),
    ),
    Topic(
        ("推进智慧停车系统建设", "缓解医院学校周边停车难问题", "推广错峰共享停车"),
        ("jtj",),
        ("jgj", "cgj", "zsj", "fgw", "wjw"),
        "我市机动车保有量大，停车供需矛盾突出，“停车难、停车乱”影响市民出行体验",
        (
            "各类停车场信息分散，车位实时数据尚未全面接入",
            "路内停车收费管理不够精细，泊位周转率不高",
            "医院、学校周边在高峰时段停车矛盾尤为突出",
        ),
        (
            "建设全市统一的智慧停车信息平台，推动经营性停车场数据全面接入",
            "推广错峰共享停车，鼓励机关事业单位夜间开放内部停车位",
            "优化路内停车差异化收费，提高泊位周转效率",
            "在医院、学校周边规划建设立体停车设施",
            "完善停车诱导系统，减少车辆绕行寻找车位",
        ),
    ),
    Topic(
        ("加强城中村消防安全治理", "防范电动自行车火灾风险", "提升城中村火灾防控能力"),
        ("yjj", "xf"),
        ("zjj", "gaj", "cgj", "scjg"),
        "城中村是大量来深建设者的居住地，建筑密度高、人员流动大，消防安全风险较为集中",
        (
            "部分出租屋疏散通道被占用，逃生条件不足",
            "电动自行车违规停放充电现象屡禁不止",
            "基层消防力量较为薄弱，隐患整改跟踪不到位",
        ),
        (
            "推进城中村电动自行车集中充电设施全覆盖",
            "压实房东和二房东的消防安全主体责任",
            "加强微型消防站建设，提升初起火灾处置能力",
            "推广独立式感烟报警器等技防手段，提高早期预警能力",
            "常态化开展消防安全宣传进出租屋活动",
        ),
    ),
    Topic(
        ("加大保障性租赁住房供给", "解决青年人才住房困难", "提升保障性住房小区配套水平"),
        ("zjj",),
        ("rsj", "ghzy", "gjj", "fgw", "jyj"),
        "住房是青年人才来深发展最关心的问题之一，保障性租赁住房需求旺盛",
        (
            "保障性租赁住房供给与产业园区分布存在错位",
            "部分项目周边配套不完善，入住率不高",
            "轮候周期较长，申请流程仍需简化",
        ),
        (
            "在产业园区和轨道站点周边优先布局保障性租赁住房",
            "盘活城中村和闲置商办用房，改建为保障性租赁住房",
            "精简人才住房申请材料，实现全程网上办理",
            "完善住房公积金支持租房提取的政策",
            "同步规划建设保障房小区的教育、医疗和商业配套",
        ),
    ),
    Topic(
        ("提升社区健康服务能力", "推动优质医疗资源下沉社区", "做实家庭医生签约服务"),
        ("wjw",),
        ("ybj", "rsj", "czj", "mzj"),
        "社区健康服务中心是群众家门口的医疗卫生机构，是分级诊疗的网底",
        (
            "社康机构全科医生数量不足，服务能力有待提升",
            "优质医疗资源下沉不够，居民首诊在社康的意愿不强",
            "医保支付政策对基层就医的引导作用有待加强",
        ),
        (
            "加大全科医生培养和引进力度，完善绩效薪酬激励",
            "深化医疗集团建设，推动专科医生定期到社康坐诊",
            "适当拉开不同层级医疗机构的医保报销比例",
            "扩大社康机构药品目录，做好与上级医院用药衔接",
            "推广家庭医生签约服务，提高慢性病管理质量",
        ),
    ),
    Topic(
        (
            "加强中小学生心理健康教育",
            "健全学生心理危机预防干预机制",
            "构建家校医协同的心理健康服务体系",
        ),
        ("jyj",),
        ("wjw", "tsw", "fl", "mzj"),
        "青少年心理健康问题日益受到社会关注，学校心理健康教育任务繁重",
        (
            "中小学专职心理教师配备不足，部分学校由兼职教师承担",
            "学生心理健康筛查和预警机制不够完善",
            "家庭、学校和医疗机构协同干预的通道不畅",
        ),
        (
            "按照师生比配齐中小学专职心理健康教师",
            "每学年开展学生心理健康筛查，建立分级预警和跟踪机制",
            "建立学校与精神专科医院之间的绿色转介通道",
            "开设家长课堂，提升家庭教育中的心理健康意识",
            "保障学生每天综合体育活动时间，合理控制作业总量",
        ),
    ),
    Topic(
        ("推动低空经济高质量发展", "完善低空起降设施布局", "拓展低空物流应用场景"),
        ("fgw", "gxj"),
        ("jtj", "kcw", "qxj", "gaj", "ghzy"),
        "我市无人机产业基础雄厚，低空物流、低空文旅等新场景不断涌现",
        (
            "低空航线和起降点规划建设相对滞后",
            "低空飞行监管和安全保障体系有待健全",
            "低空经济专业人才供给不足",
        ),
        (
            "编制低空起降设施专项规划，推动起降点与社区、园区、商圈融合",
            "建设低空智能融合基础设施和飞行服务平台",
            "完善低空气象监测和精细化预报服务",
            "支持高校和企业联合培养低空飞行和运维人才",
            "扩大低空物流配送、医疗急救等场景试点",
        ),
    ),
    Topic(
        ("加强校园食品安全监管", "推进学校食堂“明厨亮灶”全覆盖", "规范校外供餐管理"),
        ("scjg", "jyj"),
        ("wjw", "jyj", "scjg"),
        "校园食品安全关系广大学生身体健康，社会关注度高",
        (
            "部分学校食堂外包经营，监管链条较长",
            "校外供餐企业数量多、规模和管理水平差异大",
            "家长参与膳食监督的渠道不够畅通",
        ),
        (
            "推进学校食堂“互联网+明厨亮灶”全覆盖",
            "建立校外供餐企业准入、评价和退出机制",
            "落实学校负责人陪餐制度，鼓励家长委员会参与膳食监督",
            "加大食品安全抽检频次并及时公开结果",
            "加强学校食堂从业人员培训和健康管理",
        ),
    ),
    Topic(
        ("推进生活垃圾分类和减量", "提高厨余垃圾分出率", "减少快递外卖包装废弃物"),
        ("cgj",),
        ("sthj", "swu", "fgw", "scjg"),
        "我市生活垃圾分类已进入全面推进阶段，市民分类意识明显提高",
        (
            "厨余垃圾分出率与目标仍有差距，混投现象依然存在",
            "快递包装和外卖餐盒等一次性用品使用量大",
            "再生资源回收体系与垃圾分类体系衔接不够",
        ),
        (
            "优化分类投放点布局和开放时间，推行定时定点督导",
            "推动快递、外卖行业使用可循环、易回收的包装",
            "完善再生资源回收网点，实现回收网络与分类网络“两网融合”",
            "对分类成效好的社区和单位给予激励",
            "深入开展垃圾分类进校园、进企业宣传",
        ),
    ),
    Topic(
        ("缓解中小微企业融资难题", "完善政府性融资担保体系", "发展普惠金融服务实体经济"),
        ("jrj",),
        ("gxj", "swu", "scjg", "sw", "czj"),
        "中小微企业是我市经济发展的重要力量，融资难、融资贵问题仍不同程度存在",
        (
            "首贷、信用贷获取难度较大，过度依赖抵押担保",
            "政府性融资担保体系覆盖面不够广",
            "企业信用信息分散，银企信息不对称",
        ),
        (
            "完善中小企业融资信用服务平台，归集纳税、社保、水电等信用信息",
            "扩大政府性融资担保覆盖面，降低担保费率",
            "鼓励银行推出首贷专项产品和无还本续贷产品",
            "用好应急转贷资金，帮助企业渡过资金周转难关",
            "建立金融顾问服务企业制度",
        ),
    ),
    Topic(
        ("优化地铁站点公交接驳", "打通轨道交通出行“最后一公里”", "规范地铁站周边共享单车停放"),
        ("jtj",),
        ("ghzy", "jgj", "dt", "cgj"),
        "我市轨道交通网络日趋完善，但站点接驳“最后一公里”问题仍较突出",
        (
            "部分地铁站与公交站点距离较远，换乘不便",
            "社区微循环公交覆盖不足，发车间隔较长",
            "地铁站周边共享单车停放秩序较为混乱",
        ),
        (
            "优化地铁站周边公交站点布局，缩短换乘距离",
            "增开社区微循环巴士，加密高峰时段班次",
            "在地铁出入口规划建设非机动车停放区",
            "研究推出地铁与公交换乘优惠",
            "完善站点周边风雨连廊和无障碍通道",
        ),
    ),
    Topic(
        ("做好退役军人就业创业服务", "完善退役军人就业支持政策"),
        ("tyjr",),
        ("rsj", "gxj", "sw", "jrj"),
        "每年有一定数量的退役军人来深或返深就业，稳定就业是他们最关心的问题",
        (
            "职业技能培训与市场需求衔接不够紧密",
            "部分企业对招用退役军人的优惠政策了解不多",
            "退役军人创业项目融资渠道较窄",
        ),
        (
            "围绕重点产业开设订单式、定向式职业技能培训",
            "加大招用退役军人税收优惠政策宣传力度",
            "建立退役军人就业创业孵化基地",
            "设立退役军人创业担保贷款专项额度",
            "组织退役军人专场招聘会，搭建供需对接平台",
        ),
    ),
    Topic(
        ("深化政务服务“一网通办”", "推进高频政务服务事项“免证办”", "提升政务服务移动端体验"),
        ("zsj",),
        ("gaj", "sw", "scjg", "rsj"),
        "近年来，我市政务服务数字化水平不断提升，大部分事项已实现网上办理",
        (
            "部分事项线上线下标准不一，群众仍需多次跑动",
            "电子证照共享应用范围有限，重复提交材料现象仍然存在",
            "移动端操作流程复杂，老年人使用不便",
        ),
        (
            "统一线上线下办事指南和审查标准",
            "扩大电子证照在高频事项中的共享应用",
            "推出更多“一件事一次办”集成服务",
            "优化移动端界面设计，提供适老化服务模式",
            "建立政务服务“好差评”结果整改闭环机制",
        ),
    ),
    Topic(
        ("发展夜间文旅消费", "打造特色夜间消费街区", "丰富市民夜间文化生活"),
        ("wlj",),
        ("swu", "cgj", "jtj", "gaj"),
        "夜间经济是扩大内需、提升城市活力的重要抓手",
        (
            "夜间消费业态同质化，文化特色不够鲜明",
            "夜间公共交通运营时间与消费需求不匹配",
            "外摆、临时活动审批标准不够明确",
        ),
        (
            "培育一批具有岭南和湾区特色的夜间消费街区",
            "延长重点商圈周边地铁和公交的夜间运营时间",
            "制定外摆和临时文化活动管理指引",
            "推动博物馆、美术馆等场馆延时开放",
            "加强夜间经济区域的治安和环境卫生保障",
        ),
    ),
    Topic(
        ("加快全民健身场地设施建设", "推动学校体育场地向社会开放", "利用边角地建设社区运动场"),
        ("wlj",),
        ("cgj", "jyj", "ghzy", "zjj"),
        "市民健身需求日益旺盛，“健身去哪儿”成为群众关心的问题",
        (
            "人均体育场地面积仍低于先进城市",
            "学校体育场地向社会开放的比例不高",
            "社区健身设施老化，维护管理不到位",
        ),
        (
            "利用桥下空间、边角地等建设社区小型运动场",
            "完善学校体育场地开放的安全保障和补贴机制",
            "建立健身设施全生命周期维护制度",
            "推广智慧健身设施，提供在线预约服务",
            "支持社会力量投资建设和运营体育场馆",
        ),
    ),
    Topic(
        ("发展普惠托育服务", "支持用人单位办托", "完善婴幼儿照护服务体系"),
        ("wjw",),
        ("jyj", "fl", "mzj", "czj", "zjj"),
        "婴幼儿照护是家庭关心的民生问题，托育服务需求持续增加",
        (
            "普惠性托位供给不足，收费价格偏高",
            "托育从业人员专业化水平参差不齐",
            "用人单位办托的政策支持不够明确",
        ),
        (
            "通过公建民营、购买服务等方式增加普惠性托位",
            "支持有条件的幼儿园开设托班，招收2至3岁幼儿",
            "建立托育从业人员培训和持证上岗制度",
            "出台用人单位办托的场地、消防等支持措施",
            "在新建住宅小区按标准配建托育设施",
        ),
    ),
    Topic(
        ("提升极端天气防灾减灾能力", "完善台风暴雨预警响应机制", "加强城市内涝风险防范"),
        ("yjj",),
        ("qxj", "swj", "zjj", "jyj", "jtj"),
        "近年来，极端天气频发，短时强降水和台风对城市运行带来较大考验",
        (
            "预警信息发布到响应行动之间衔接不够紧密",
            "部分低洼路段和地下空间内涝风险较高",
            "基层应急队伍装备和演练不足",
        ),
        (
            "完善分区域、分时段的气象预警“叫应”机制",
            "建立停课、停工、停业的分级响应指引",
            "对低洼路段和地下空间开展内涝风险排查整治",
            "加强社区应急队伍装备配置和实战化演练",
            "利用手机信令和社交平台提高预警信息覆盖率",
        ),
    ),
    Topic(
        ("加强新就业形态劳动者权益保障", "完善外卖骑手职业伤害保障", "建设户外劳动者服务站点"),
        ("rsj",),
        ("zgh", "scjg", "ybj", "jtj", "cgj"),
        "近年来，外卖骑手、网约车司机等新就业形态劳动者数量快速增长",
        (
            "平台用工关系认定复杂，劳动者维权成本较高",
            "职业伤害保障覆盖面有待扩大",
            "户外劳动者休息、饮水、充电等需求缺少稳定场所",
        ),
        (
            "指导平台企业规范用工，完善劳动报酬和休息制度",
            "扩大新就业形态人员职业伤害保障试点范围",
            "依托工会驿站建设户外劳动者服务站点",
            "建立平台企业、劳动者代表和工会的协商机制",
            "开展新就业形态劳动者技能提升培训",
        ),
    ),
    Topic(
        ("深化前海深港现代服务业合作", "便利港澳专业人士在前海执业", "推进前海深港规则衔接"),
        ("qh",),
        ("swu", "sfj", "jrj", "rsj", "kab"),
        "前海是深港合作的重要平台，港澳专业人士和企业不断聚集",
        (
            "港澳专业人士跨境执业备案流程仍较繁琐",
            "深港两地在部分领域的规则标准衔接不够",
            "跨境生活配套服务有待完善",
        ),
        (
            "扩大港澳专业人士备案执业的领域范围",
            "在法律、会计、建筑等领域探索深港规则衔接试点",
            "完善港人子女教育、医疗等生活配套服务",
            "提升口岸通关效率，便利人员往来",
            "建立深港联合商事调解机制",
        ),
    ),
    Topic(
        ("推进医保异地就医直接结算", "完善医保门诊共济保障", "提升医保经办服务便利度"),
        ("ybj",),
        ("wjw", "zsj", "rsj"),
        "我市参保人员规模大、流动性强，异地就医需求突出",
        (
            "部分医疗机构尚未开通异地就医直接结算",
            "门诊共济政策知晓率不高",
            "医保经办窗口排队时间较长",
        ),
        (
            "推动更多定点医疗机构开通跨省门诊直接结算",
            "加强门诊共济政策解读和宣传",
            "推广医保电子凭证全流程应用",
            "在社区健康服务中心增设医保便民服务点",
            "简化异地就医备案手续，实现线上即时办理",
        ),
    ),
    Topic(
        ("完善公共法律服务体系", "推进基层法律顾问全覆盖", "加强老年人法律援助"),
        ("sfj",),
        ("mzj", "fl", "zgh", "xfj"),
        "公共法律服务是政府公共服务的重要组成部分",
        (
            "基层公共法律服务站点作用发挥不均衡",
            "法律援助覆盖范围和标准有待提高",
            "群众获取法律服务的渠道较为分散",
        ),
        (
            "推动社区法律顾问定期坐班，提供面对面咨询",
            "适当放宽法律援助经济困难标准",
            "整合热线、网站和小程序，提供“一站式”法律服务",
            "针对老年人、残疾人等群体开展上门法律服务",
            "加强人民调解与诉讼、行政调解的衔接",
        ),
    ),
    Topic(
        ("加强噪声污染防治", "治理建筑施工和交通噪声扰民问题", "营造宁静和谐的居住环境"),
        ("sthj",),
        ("zjj", "jgj", "cgj", "jtj", "gaj"),
        "随着城市建设持续推进，建筑施工、道路交通和社会生活噪声投诉在环境类投诉中占比较高",
        (
            "夜间施工审批和监管衔接不够，扰民现象时有发生",
            "部分快速路和高架桥紧邻住宅区，降噪设施不足",
            "噪声自动监测点位偏少，执法取证较难",
        ),
        (
            "严格夜间施工审批，推行施工噪声在线监测并与审批联动",
            "在紧邻住宅的道路路段加装声屏障、铺设低噪声路面",
            "加密噪声自动监测站点，定期公布监测结果",
            "加强对改装车辆“炸街”行为的联合执法",
            "将噪声控制要求纳入新建住宅项目规划和验收",
        ),
    ),
    Topic(
        ("加强近岸海域污染防治", "推进美丽海湾建设", "加强入海排放口整治"),
        ("sthj",),
        ("swj", "ghzy", "cgj", "qh"),
        "我市海岸线资源宝贵，近岸海域水质是市民普遍关心的生态环境问题",
        (
            "部分入海河流和排放口水质不够稳定",
            "海漂垃圾清理责任分散，跨区协同不足",
            "滨海生态修复与亲海空间建设统筹不够",
        ),
        (
            "开展入海排放口排查溯源和分类整治",
            "建立海漂垃圾岸上、海上一体化清理机制",
            "推进红树林等滨海湿地保护修复",
            "建设更多开放共享的亲海空间",
            "加强与周边城市的海域污染联防联治",
        ),
    ),
    Topic(
        ("加强困境儿童关爱保护", "完善困境儿童分类保障", "提升儿童福利服务水平"),
        ("mzj",),
        ("jyj", "fl", "tsw", "sfj", "wjw"),
        "困境儿童是需要全社会特别关爱的群体，我市儿童福利和未成年人保护工作不断加强",
        (
            "困境儿童发现报告机制不够灵敏",
            "社区儿童主任的专业能力有待提升",
            "心理疏导、康复训练等专业服务供给不足",
        ),
        (
            "建立学校、社区、医院联动的困境儿童发现报告机制",
            "加强社区儿童主任培训，落实工作补贴",
            "通过政府购买服务引入专业社工机构",
            "完善困境儿童分类保障标准，做到应保尽保",
            "建设一批儿童友好社区和未成年人保护工作站",
        ),
    ),
)

BODIES = (
    "民革深圳市委会",
    "民盟深圳市委会",
    "民建深圳市委会",
    "民进深圳市委会",
    "农工党深圳市委会",
    "致公党深圳市委会",
    "九三学社深圳市委会",
    "市工商联",
    "市科协",
    "市侨联",
    "市政协经济委员会",
    "市政协教科卫体委员会",
    "市政协社会和法制委员会",
    "市政协人口资源环境委员会",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "杜叶程魏苏吕丁沈姚卢钟姜崔谭陆范汪廖石金韦夏方邹熊白孟秦邱侯江尹薛段雷黎史陶贺"
    "顾龚邵万严欧莫孔向常汤康易乔赖文庄翁骆柯"
)
GIVEN = (
    "伟芳敏静丽强磊军洋勇艳杰涛明超秀霞平刚华建国志红玲文斌宇浩凯鹏俊帆晨欣怡婷雪琳瑶"
    "晓岚海峰立新嘉慧颖思源涵振宁卫东永庆丹梅兰舒雅博泽坤彦达佳睿毅航蕾薇翔瑞昊然"
)

OPENERS = ("建议", "建议", "建议由{unit}牵头，", "建议市有关部门", "建议各区和市有关部门")
TAILS = (
    "。",
    "。",
    "，切实提升群众的获得感和满意度。",
    "，形成可复制、可推广的经验。",
    "，并定期向社会公布进展情况。",
    "，确保各项措施落地见效。",
    "，适时将成熟做法上升为制度规范。",
)
INTROS = (
    "但在调研中发现，仍存在一些问题：",
    "但从实际情况看，仍有不少短板：",
    "然而，当前仍面临以下突出问题：",
)
CLOSINGS = (
    "这些问题在一定程度上影响了群众的获得感，亟需加以解决。",
    "上述问题与建设现代化国际化创新型城市的要求还有差距。",
    "群众对此反映较多，有必要统筹研究、系统施策。",
)
CN = "一二三四五六"

RETURN_REASONS = (
    "本提案所提事项主要涉及{other}的职责，建议调整由{other}办理。",
    "经研究，提案所提建议不属于我单位职能范围，申请退回并建议改由{other}承办。",
    "提案涉及的相关职能已划转至{other}，申请调整承办单位。",
)
AMENDS_NOTES = (
    "答复未逐条回应委员的建议，请补充完善后再报。",
    "办理过程中未与提案人沟通，请先沟通后再报送。",
    "答复格式不规范，请按答复函模板修改。",
    "涉及资金安排的表述需与市财政局核实后修改。",
    "办理实效评估类别与答复内容不符，请重新研判。",
)
REHANDLE_NOTES = (
    "委员对答复不满意，认为未回应核心诉求，要求重新办理。",
    "委员反馈基本满意，但提出具体措施落实不到位，请重新办理并二次答复。",
    "委员对答复不满意，认为答复内容与实际情况不符，请重新研究办理。",
)
CLOSE_NOTES = ("委员反馈满意，予以办结。", "委员反馈基本满意，予以办结。", "")
EXTENSION_REASONS = (
    "提案涉及多个部门职责，需进一步协调论证，申请延期答复。",
    "相关政策正在修订中，待政策出台后一并答复，申请延期。",
    "需开展实地调研并与委员当面沟通，申请延期答复。",
)


# ---------------------------------------------------------------------------------------------
# Plans: which state each assignment should end in, and when things happen.
# ---------------------------------------------------------------------------------------------

RECLOSED = "reclosed"  # closed, reopened for re-handling, answered again and closed again

# Days since assignment, per target state, for cases of the current session.
CURRENT_AGES: dict[S, tuple[int, int]] = {
    S.ASSIGNED: (1, 7),
    S.RETURN_REQUESTED: (2, 8),
    S.WITHDRAWN: (15, 80),
    S.REPLIED: (55, 100),
    S.AWAITING_FEEDBACK: (70, 160),
    S.CLOSED: (95, 240),
    S.REHANDLING: (130, 240),
}
# States still waiting for the reply: ages spread over on track, due soon and overdue.
BUCKET_AGES = ((20, 65), (80, 86), (97, 150))
BUCKETED = (S.RECEIVED, S.HANDLING, S.DRAFTED, S.IN_REVIEW, S.AMENDS, S.SIGNED_OFF)
CURRENT_WEIGHTS: dict[S, int] = {
    S.ASSIGNED: 4,
    S.RECEIVED: 8,
    S.RETURN_REQUESTED: 2,
    S.WITHDRAWN: 3,
    S.HANDLING: 20,
    S.DRAFTED: 10,
    S.IN_REVIEW: 8,
    S.AMENDS: 4,
    S.SIGNED_OFF: 5,
    S.REPLIED: 8,
    S.AWAITING_FEEDBACK: 10,
    S.CLOSED: 15,
    S.REHANDLING: 3,
}
OLD_WEIGHTS: dict[S | str, int] = {
    S.CLOSED: 84,
    RECLOSED: 7,
    S.WITHDRAWN: 4,
    S.AWAITING_FEEDBACK: 3,
    S.REPLIED: 2,
}
EARLY_GAPS: dict[Action, tuple[int, int]] = {
    A.RECEIVE: (0, 3),
    A.REQUEST_RETURN: (0, 3),
    A.APPROVE_RETURN: (1, 5),
    A.REJECT_RETURN: (1, 5),
    A.START_HANDLING: (1, 6),
}


@dataclass
class Plan:
    """Where a case's first assignment should end up, and between which dates."""

    target: S | str
    old: bool  # a past session: almost everything is closed
    assigned_on: date
    end: date  # the date of the last action


class Deck:
    """Deal values in shuffled rounds, so every value turns up once in each round."""

    def __init__(self, rng: random.Random, cards: Sequence) -> None:
        self.rng, self.cards, self.hand = rng, list(cards), []

    def draw(self):
        if not self.hand:
            self.hand = list(self.cards)
            self.rng.shuffle(self.hand)
        return self.hand.pop()


def shenzhen_term_meeting(year: int) -> tuple[int, int]:
    """Shenzhen's seventh council first met in 2021; a council sits five years, once a year."""
    return 7 + (year - 2021) // 5, (year - 2021) % 5 + 1


def path_to(target: S | str, replying: bool, rng: random.Random) -> list[Action]:
    """The actions that take a fresh assignment to `target` (RECLOSED: closed in round 2)."""
    if target is S.ASSIGNED:
        return []
    if target is S.RETURN_REQUESTED:
        return rng.choice([[A.REQUEST_RETURN], [A.RECEIVE, A.REQUEST_RETURN]])
    if target is S.WITHDRAWN:
        return rng.choice([[A.REQUEST_RETURN], [A.RECEIVE, A.REQUEST_RETURN]]) + [A.APPROVE_RETURN]
    steps = [A.RECEIVE]
    if rng.random() < 0.07:
        steps += [A.REQUEST_RETURN, A.REJECT_RETURN]
    if target is S.RECEIVED:
        return steps
    steps.append(A.START_HANDLING)
    if target is S.HANDLING:
        return steps
    steps.append(A.RECORD_DRAFT)
    if target is S.DRAFTED:
        return steps
    steps.append(A.SUBMIT)
    if target is S.IN_REVIEW:
        return steps
    if target is S.AMENDS:
        return [*steps, A.RETURN_FOR_AMENDS]
    if rng.random() < 0.2:
        steps += [A.RETURN_FOR_AMENDS, A.RECORD_DRAFT, A.SUBMIT]
    steps += [A.SIGN_OFF]
    if target is S.SIGNED_OFF:
        return steps
    steps.append(A.SEND)
    if target is S.REPLIED:
        return steps
    if replying:
        steps.append(A.AWAIT_FEEDBACK)
    if target is S.AWAITING_FEEDBACK:
        return steps
    if target is S.CLOSED:
        return [*steps, A.CLOSE]
    if target is S.REHANDLING:
        return steps + rng.choice([[A.REHANDLE], [A.CLOSE, A.REHANDLE]])
    if target == RECLOSED:
        again = [A.RECORD_DRAFT, A.SUBMIT, A.SIGN_OFF, A.SEND, A.AWAIT_FEEDBACK, A.CLOSE]
        return [*steps, A.CLOSE, A.REHANDLE, *again]
    raise ValueError(target)


def current_secondary(age: int, replying: bool, rng: random.Random) -> S:
    """A plausible state for a co-handling or split assignment of a case `age` days old."""
    if age <= 8:
        options = [S.ASSIGNED, S.RECEIVED, S.RECEIVED]
    elif age <= 30:
        options = [S.RECEIVED, S.HANDLING, S.HANDLING] + ([] if replying else [S.DRAFTED])
    elif not replying:  # a co-handling opinion is due within a month
        options = [S.HANDLING, S.IN_REVIEW, S.SIGNED_OFF, S.REPLIED, S.CLOSED, S.CLOSED]
        if age > 60:
            options = [S.HANDLING, S.REPLIED, S.CLOSED, S.CLOSED, S.CLOSED]
    elif age <= 75:
        options = [S.HANDLING, S.HANDLING, S.DRAFTED, S.IN_REVIEW, S.AMENDS]
    elif age <= 95:
        options = [S.DRAFTED, S.IN_REVIEW, S.SIGNED_OFF, S.REPLIED]
    else:
        options = [S.HANDLING, S.REPLIED, S.AWAITING_FEEDBACK, S.AWAITING_FEEDBACK, S.CLOSED]
    return rng.choice(options)


def spread(rng: random.Random, start: date, stop: date, count: int) -> list[date]:
    """`count` sorted random days between start and stop (both included)."""
    span = max(0, (stop - start).days)
    return sorted(start + timedelta(days=rng.randint(0, span)) for _ in range(count))


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class DemoBuilder:
    """Creates the demo data; holds ids only between batches, objects within one."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.unit_ids: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}
        self.session_ids: list[int] = []  # oldest first; the last one is current
        self.session_years: dict[int, int] = {}
        self.used_numbers: dict[int, set[str]] = {}
        self.next_seq: dict[int, int] = {}
        self.members = self._member_pool(320)
        self.flavour_deck = Deck(rng, ["suggestion"] + ["collective"] * 2 + ["member"] * 9)
        self.key_deck = Deck(rng, [True] * 3 + [False] * 17)
        self.kind_deck = Deck(rng, [ProposalKind.REGULAR] * 2 + [ProposalKind.PLENARY] * 8)
        self.mix_deck = Deck(rng, ["sole"] * 11 + ["lead"] * 6 + ["split"] * 3)
        # Topics a demo clerk handles come up twice as often, so those units have plenty of cases.
        self.topic_deck = Deck(
            rng,
            [
                i
                for i, t in enumerate(TOPICS)
                for _ in range(2 if CLERK_UNITS & set(t.leads) else 1)
            ],
        )
        self.clerk_deck = Deck(rng, sorted(CLERK_UNITS))
        self.first_round = list(S)
        rng.shuffle(self.first_round)
        self.bucket = 0
        self.overdue_seen = 0
        self.extensions = 0
        self.units: dict[str, Unit] = {}
        self.supervisor: User | None = None
        self.clerks: dict[int, User] = {}

    # ---- directory and users ----

    def _member_pool(self, size: int) -> list[str]:
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < size:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in seen:
                seen.add(name)
                names.append(name)
        return names

    def create_directory(self) -> tuple[int, int, int]:
        """Sessions, units and users; existing ones (same name) are reused."""
        for offset in (2, 1, 0):
            year = self.today.year - offset
            term, meeting = shenzhen_term_meeting(year)
            session = db.session.scalar(
                sa.select(CouncilSession).where(
                    CouncilSession.council == COUNCIL,
                    CouncilSession.term == term,
                    CouncilSession.meeting == meeting,
                )
            )
            if session is None:
                session = save_session(
                    None,
                    None,
                    council=COUNCIL,
                    term=term,
                    meeting=meeting,
                    year=year,
                    is_current=offset == 0,
                )
            self.session_ids.append(session.id)
            self.session_years[session.id] = session.year
            numbers = set(
                db.session.scalars(
                    sa.select(Proposal.number).where(Proposal.session_id == session.id)
                )
            )
            self.used_numbers[session.id] = numbers
            self.next_seq[session.id] = 1
        for key, name, short in UNITS:
            unit = db.session.scalar(sa.select(Unit).where(Unit.name == name))
            if unit is None:
                unit = save_unit(None, None, name=name, short_name=short)
            if unit.is_active:
                self.unit_ids[key] = unit.id
        for username, unit_key, role, display_name in USERS:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                unit = db.session.get(Unit, self.unit_ids[unit_key]) if unit_key else None
                user = save_user(
                    None,
                    None,
                    username=username,
                    display_name=display_name,
                    role=role,
                    unit=unit,
                    password=DEMO_PASSWORD,
                )
            self.user_ids[username] = user.id
        self.reload()
        return len(self.session_ids), len(self.unit_ids), len(self.user_ids)

    def reload(self) -> None:
        """(Re)load the objects the builder works with, after the session was emptied."""
        units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(self.unit_ids.values())))
        by_id = {u.id: u for u in units}
        self.units = {key: by_id[uid] for key, uid in self.unit_ids.items()}
        users = db.session.scalars(sa.select(User).where(User.id.in_(self.user_ids.values())))
        users_by_id = {u.id: u for u in users}
        self.supervisor = users_by_id.get(self.user_ids.get("supervisor"))
        self.clerks = {
            u.unit_id: u for u in users_by_id.values() if u.role is Role.CLERK and u.unit_id
        }

    # ---- proposals ----

    def add_proposal(self, session_id: int, current: bool) -> None:
        """Create one proposal of the session with its assignments, and handle them."""
        rng = self.rng
        year = self.session_years[session_id]
        lead = None
        if current and rng.random() < 0.5:  # give every demo clerk work on their desk
            lead = self.clerk_deck.draw()
            topic = rng.choice([t for t in TOPICS if lead in t.leads])
        else:
            topic = TOPICS[self.topic_deck.draw()]
        flavour = self.flavour_deck.draw()
        case_type = CaseType.SUGGESTION if flavour == "suggestion" else CaseType.PROPOSAL
        collective = flavour == "collective"
        kind = self.kind_deck.draw()
        units = self._pick_units(topic, lead)
        lead_unit = units[0]

        plan = self._plan(current, year, kind)
        assigned_on = plan.assigned_on
        if kind is ProposalKind.PLENARY:
            submitted_on = date(year, 1, rng.randint(6, 20))
        else:
            submitted_on = assigned_on - timedelta(days=rng.randint(12, 40))
        submitted_on = min(submitted_on, assigned_on - timedelta(days=7))

        if collective:
            proposers = [rng.choice(BODIES)]
        else:
            count = rng.choices((1, 2, 3, 4), weights=(45, 25, 18, 12))[0]
            proposers = rng.sample(self.members, count)
        measures = rng.sample(topic.measures, rng.choice((3, 4)))
        suggestions = [self._suggestion(m, lead_unit) for m in measures]
        word = "提案" if case_type is CaseType.PROPOSAL else "建议"
        data = ProposalData(
            session_id=session_id,
            number=self._number(session_id, year),
            title=f"关于{rng.choice(topic.cores)}的{word}",
            case_type=case_type,
            kind=kind,
            is_key=self.key_deck.draw(),
            full_text=self._full_text(topic, suggestions),
            submitted_on=submitted_on,
            proposers=proposers,
            collective=collective,
            suggestions=suggestions,
        )
        proposal = save_proposal(None, None, data)
        self._assign_and_handle(proposal, units, plan, current)

    def _number(self, session_id: int, year: int) -> str:
        used = self.used_numbers[session_id]
        seq = self.next_seq[session_id]
        while f"{year}{seq:04d}" in used:
            seq += 1
        number = f"{year}{seq:04d}"
        used.add(number)
        self.next_seq[session_id] = seq + 1
        return number

    def _suggestion(self, measure: str, lead_unit: str) -> str:
        opener = self.rng.choice(OPENERS).format(unit=self.units[lead_unit].short_name)
        return f"{opener}{measure}{self.rng.choice(TAILS)}"

    def _full_text(self, topic: Topic, suggestions: list[str]) -> str:
        rng = self.rng
        problems = "；".join(f"{CN[i]}是{p}" for i, p in enumerate(topic.problems))
        situation = f"{topic.background}。{rng.choice(INTROS)}{problems}。{rng.choice(CLOSINGS)}"
        numbered = "".join(f"{CN[i]}、{s.removeprefix('建议')}" for i, s in enumerate(suggestions))
        return f"{situation}\n为此，提出如下建议：{numbered}"

    def _pick_units(self, topic: Topic, lead: str | None = None) -> list[str]:
        """The topic's units, lead first, then the others in a random order."""
        rng = self.rng
        if lead not in self.units:
            leads = [k for k in topic.leads if k in self.units]
            weights = [3 if k in CLERK_UNITS else 1 for k in leads]
            lead = rng.choices(leads, weights=weights)[0]
        others = [k for k in dict.fromkeys(topic.leads + topic.partners) if k != lead]
        others = [k for k in others if k in self.units]
        rng.shuffle(others)
        return [lead, *others]

    def _plan(self, current: bool, year: int, kind: ProposalKind) -> Plan:
        """The primary assignment's target state, its assignment date and its last action date."""
        rng = self.rng
        if not current:
            targets, weights = zip(*OLD_WEIGHTS.items(), strict=True)
            target = rng.choices(targets, weights=weights)[0]
            if kind is ProposalKind.PLENARY:  # handed out in March and April
                assigned_on = date(year, 3, 1) + timedelta(days=rng.randint(0, 55))
            else:
                assigned_on = date(year, rng.randint(5, 9), rng.randint(1, 28))
            assigned_on = min(assigned_on, self.today)
            span = rng.randint(200, 280) if target == RECLOSED else rng.randint(100, 200)
            end = min(assigned_on + timedelta(days=span), self.today)
            return Plan(target, True, assigned_on, end)
        if self.first_round:
            target = self.first_round.pop()
        else:
            targets, weights = zip(*CURRENT_WEIGHTS.items(), strict=True)
            target = rng.choices(targets, weights=weights)[0]
        if target in BUCKETED:
            bucket = self.bucket % len(BUCKET_AGES)
            self.bucket += 1
            low, high = BUCKET_AGES[bucket]
            if target is S.RECEIVED and bucket == 0:  # on track: received recently
                low, high = 4, 30
        else:
            low, high = CURRENT_AGES[target]
        age = rng.randint(low, high)
        assigned_on = self.today - timedelta(days=age)
        last = max(assigned_on, self.today - timedelta(days=rng.randint(0, min(10, age // 3))))
        return Plan(target, False, assigned_on, last)

    def _assign_and_handle(
        self, proposal: Proposal, units: list[str], plan: Plan, current: bool
    ) -> None:
        """Assign the units in a role mix, then take each assignment through the workflow."""
        rng = self.rng
        mix = self.mix_deck.draw()
        if mix == "split" and len(units) < 2:
            mix = "sole"
        if mix == "sole":
            roles = [(units[0], AssignmentRole.SOLE)]
        elif mix == "lead":
            co_count = min(rng.choice((1, 1, 2)), len(units) - 1)
            roles = [(units[0], AssignmentRole.LEAD)] + [
                (k, AssignmentRole.CO) for k in units[1 : 1 + co_count]
            ]
            if co_count == 0:
                roles = [(units[0], AssignmentRole.SOLE)]
        else:
            split_count = min(rng.choice((2, 2, 3)), len(units))
            roles = [(k, AssignmentRole.SPLIT) for k in units[:split_count]]
        spare = [k for k in units if k not in {key for key, _ in roles}]
        spare += [k for k in self.units if k not in units]

        assignments = [
            assign_unit(None, proposal, self.units[key], role, plan.assigned_on, today=self.today)
            for key, role in roles
        ]
        age = (self.today - plan.assigned_on).days
        for index, assignment in enumerate(assignments):
            replying = assignment.role.replies_to_proposer
            if index == 0:
                target = plan.target
            elif plan.old:
                target = S.CLOSED if rng.random() < 0.9 else S.REPLIED
                if replying and target is S.REPLIED:
                    target = S.AWAITING_FEEDBACK
            else:
                target = current_secondary(age, replying, rng)
            replacement = spare.pop(0)
            self._handle(assignment, target, plan.end, other=replacement)
            if assignment.status is S.WITHDRAWN:
                self._reassign(proposal, assignment, replacement, plan)
            elif index == 0 and current:
                self._maybe_extend(assignment)

    def _reassign(self, proposal: Proposal, withdrawn: Assignment, key: str, plan: Plan) -> None:
        """Hand a withdrawn case to the unit the returning unit suggested."""
        assigned_on = min(withdrawn.closed_on + timedelta(days=self.rng.randint(1, 5)), self.today)
        assignment = assign_unit(
            None, proposal, self.units[key], withdrawn.role, assigned_on, today=self.today
        )
        age = (self.today - assigned_on).days
        target = S.CLOSED if plan.old else current_secondary(age, True, self.rng)
        end = max(assigned_on, plan.end)
        self._handle(assignment, target, end, other=key)

    def _handle(self, assignment: Assignment, target: S | str, end: date, other: str) -> None:
        """Perform the actions that take `assignment` to `target`, dated up to `end`."""
        path = path_to(target, assignment.role.replies_to_proposer, self.rng)
        days = self._schedule(path, assignment, end)
        for action, day in zip(path, days, strict=True):
            transition = TRANSITIONS[action]
            if transition.actor is Actor.SUPERVISOR:
                actor = self.supervisor
            else:
                actor = self.clerks.get(assignment.unit_id)
            comment = self._comment(action, other)
            perform_action(actor, assignment, action, comment=comment, today=day)

    def _schedule(self, path: list[Action], assignment: Assignment, end: date) -> list[date]:
        """A date for each action: early steps within days, the rest spread up to `end`."""
        rng = self.rng
        days: list[date] = []
        cur = assignment.assigned_on
        latest_return = assignment.assigned_on + timedelta(days=8)
        i = 0
        while i < len(path) and path[i] in EARLY_GAPS:
            cur += timedelta(days=rng.randint(*EARLY_GAPS[path[i]]))
            if path[i] is A.REQUEST_RETURN:
                cur = min(cur, latest_return)
            days.append(cur)
            i += 1
        rest = path[i:]
        end = max(end, cur)
        if A.SEND in rest:
            cut = rest.index(A.SEND) + 1
            limit = end
            if rng.random() > 0.1:  # most replies go out before the deadline
                due = assignment.due_on - timedelta(days=rng.randint(0, 12))
                limit = max(cur, min(end, due))
            before = spread(rng, cur, limit, cut)
            days += before + spread(rng, before[-1], end, len(rest) - cut)
        else:
            days += spread(rng, cur, end, len(rest))
        result: list[date] = []
        for day in days:
            day = min(day, self.today)
            result.append(max(day, result[-1]) if result else day)
        return result

    def _comment(self, action: Action, other: str) -> str:
        rng = self.rng
        if action is A.REQUEST_RETURN:
            return rng.choice(RETURN_REASONS).format(other=self.units[other].short_name)
        if action is A.APPROVE_RETURN:
            return "同意退回，另行交办。"
        if action is A.REJECT_RETURN:
            return "经研究，提案事项与你单位职责密切相关，请继续办理。"
        if action is A.RETURN_FOR_AMENDS:
            return rng.choice(AMENDS_NOTES)
        if action is A.REHANDLE:
            return rng.choice(REHANDLE_NOTES)
        if action is A.CLOSE:
            return rng.choice(CLOSE_NOTES)
        if action is A.SEND:
            return "答复函已送达提案人，并抄送市政协提案委员会。"
        return ""

    def _maybe_extend(self, assignment: Assignment) -> None:
        """Ask for an extension on some overdue cases; approve, leave pending or refuse it."""
        if not assignment.status.awaits_reply or assignment.due_on >= self.today:
            return
        self.overdue_seen += 1
        if self.overdue_seen > 2 and self.overdue_seen % 5:
            return
        wanted = assignment.assigned_on + relativedelta(months=5)
        if wanted <= assignment.due_on:
            return
        clerk = self.clerks.get(assignment.unit_id)
        extension = request_extension(
            clerk,
            assignment,
            reason=self.rng.choice(EXTENSION_REASONS),
            requested_due_on=wanted,
        )
        self.extensions += 1
        decision = self.extensions % 3  # 1: approve, 2: leave pending, 0: refuse
        if decision == 1:
            decide_extension(
                self.supervisor,
                extension,
                approve=True,
                approver=EXTENSION_APPROVER,
                note="同意延期，请抓紧办理并与委员保持沟通。",
            )
        elif decision == 0:
            decide_extension(
                self.supervisor,
                extension,
                approve=False,
                note="延期理由不充分，请按原期限答复。",
            )


def seed_demo(
    proposals: int = 60,
    seed: int = 2025,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Create the demo data set and return a one-line summary; the caller commits.

    Runs of more than BATCH_SIZE proposals commit every BATCH_SIZE proposals (and empty the
    session) to keep memory bounded; on an error the unfinished batch is rolled back.
    """
    if proposals < 0:
        raise ValueError("proposals must not be negative")
    builder = DemoBuilder(random.Random(seed), date.today())
    try:
        sessions, units, users = builder.create_directory()
        current = min(proposals, max(round(proposals * 0.4), 16))
        older = proposals - current
        counts = [older // 2, older - older // 2, current]
        done = 0
        for index, (session_id, count) in enumerate(zip(builder.session_ids, counts, strict=True)):
            is_current = index == len(counts) - 1
            for _ in range(count):
                builder.add_proposal(session_id, is_current)
                done += 1
                if progress is not None:
                    progress(done, proposals)
                if done % BATCH_SIZE == 0 and done < proposals:
                    db.session.flush()
                    db.session.commit()
                    db.session.expunge_all()
                    builder.reload()
        db.session.flush()
        from tracker.demo.activity import seed_activity
        from tracker.demo.letters import seed_letters

        seed_activity(seed=seed)
        big = proposals > BATCH_SIZE
        letters = seed_letters(seed=seed, commit_every=BATCH_SIZE if big else None)
    except BaseException:
        db.session.rollback()
        raise
    return (
        f"{sessions} sessions, {units} units, {proposals} proposals, {users} users, "
        f"{letters} letters"
    )
