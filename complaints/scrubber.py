"""Removes personal data from a consumer's narrative before it is published: e-mails, resident ID numbers
(validated with python-stdnum `cn.ric`), mobile and landline numbers, order and tracking numbers,
addresses below city level (road / number / building / room patterns; the city stays), and person
names (jieba's part-of-speech name tags, checked against a surname list, plus cue words such as
收件人 or 先生). Words the caller names in `keep` (the product, the merchant) are never touched.

cpca (a Chinese address parser) was considered: it needs pandas, and its output is province, city,
district and "the rest", so the part below the district still needs the patterns here.
Measured precision and recall: tests/complaints/test_scrubber.py.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from stdnum.cn import ric

EMAIL, ID, PHONE, ORDER, ADDRESS, NAME = "[邮箱]", "[身份证号]", "[电话]", "[单号]", "[地址]", "[姓名]"

# The most common surnames (about 90% of the population), and the compound ones.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
    "温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚"
    "岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑"
    "迟邝"
)
COMPOUND_SURNAMES = {
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
}
TITLES = "先生|女士|小姐|经理|主管|师傅|老师|医生|律师|总监|店长|老板|阿姨|大哥|大姐|同学|总"
# Brands and words that begin with a surname character and that a segmenter tags as names.
KNOWN_NOT_NAMES = {
    "小米",
    "老干妈",
    "王老吉",
    "张裕",
    "李宁",
    "周大福",
    "周生生",
    "马应龙",
    "金龙鱼",
    "高露洁",
    "安踏",
    "雷士",
    "万达",
    "华为",
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(
    r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s\-]?\d{7,8}(?:[\s\-]?(?:转|ext\.?)\s?\d{1,5})?(?!\d)"
)
_ORDER_CUE = re.compile(
    r"((?:订单|运单|快递单|物流单|退货单|售后单|交易|支付|流水)(?:号|编号|号码)?|单号|快递|物流)"
    r"(?:是|为)?[\s:：#]*([A-Za-z]{0,4}[\-_]?\d[\dA-Za-z\-_]{5,39})"
)
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{0,4}\d{10,}(?![0-9A-Za-z])")
_CN = r"[\u4e00-\u9fa5]"
# A character of a place name: Chinese, but not one of the little words around an address (在, 住, 寄到,
# the city's 市), so that a match starts at the place and not at the sentence.
_P = r"(?:(?![在住于到市省的是寄送收从了我你他她址和与及往向])[\u4e00-\u9fa5])"
_NUM = r"[0-9一二三四五六七八九十百零〇]+"
_ROAD = rf"{_P}{{1,8}}(?:路|街|大道|大街|巷|弄|胡同)"
_COMPOUND = rf"{_P}{{1,10}}(?:小区|花园|公寓|大厦|家园|新村|社区|公馆|苑)"
_UNITS = rf"(?:{_NUM}(?:号楼|号|幢|栋|座|单元|楼|层|室|弄)|[\-－]{_NUM}|[A-Za-z]座)*"
# Below the city: an optional district / county / town, then a road with a number, or a compound.
_ADDRESS = re.compile(
    rf"(?:{_P}{{1,4}}(?:区|县|旗))?(?:{_P}{{1,6}}(?:街道|镇|乡))?"
    rf"(?:{_ROAD}{_NUM}(?:号|弄)(?:{_COMPOUND})?{_UNITS}|(?:{_ROAD})?{_COMPOUND}{_UNITS})"
)
_UNIT = re.compile(rf"(?<![0-9]){_NUM}(?:号楼|幢|栋)(?:{_NUM}(?:单元|楼|层|室|号))*")
# 小王, 老孙: a surname after 小 / 老 / 阿, then a word that ends the reference.
_FAMILIAR = re.compile(
    rf"[小老阿][{''.join(sorted(SURNAMES))}](?=[说也都的讲告称跟和是在就还又却，。、,；;\s]|$)"
)
# Ordinary words a segmenter would otherwise cut so that a part looks like a name (安全法, 米粉).
DOMAIN_WORDS = (
    "食品安全法",
    "消费者权益保护法",
    "产品质量法",
    "婴儿米粉",
    "米粉",
    "维修师傅",
    "牛栏",
    "可瑞康",
    "美素佳儿",
    "惠氏",
    "雅培",
    "美赞臣",
    "雀巢",
    "花王",
    "贝亲",
    "跨境电商",
    "保税仓",
    "溯源码",
    "质量问题",
    "先行赔付",
)
_NAME_CUE = re.compile(
    rf"(我叫|名叫|叫做|姓名|收件人|收货人|联系人|签收人|寄件人|下单人|购买人|投诉人|本人|快递员|客服|业务员|导购"
    rf"|老公|老婆|丈夫|妻子|爱人|爸爸|妈妈|父亲|母亲|儿子|女儿|婆婆|公公|爷爷|奶奶|同事|朋友|邻居)(?:是|为)?[:：\s]*({_CN}{{2,4}})"
)
_SURNAME_TITLE = re.compile(
    rf"(?<![{''.join(sorted(SURNAMES))}])([{''.join(sorted(SURNAMES))}]|{'|'.join(COMPOUND_SURNAMES)})(?:{TITLES})"
)

_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _posseg():  # noqa: ANN202 - jieba's module
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=100_000, tag="nz")
    return jieba.posseg


def _has_surname(word: str) -> bool:
    return word[:2] in COMPOUND_SURNAMES or word[:1] in SURNAMES


def _ids(text: str) -> str:
    def repl(m: re.Match) -> str:
        return ID if ric.is_valid(m.group(0)) else ORDER

    return _ID18.sub(repl, text)


def _names(text: str) -> str:
    def cue(m: re.Match) -> str:
        name = m.group(2)
        # The cue is followed by a name only when it begins with a surname (客服说… is not a name).
        if not _has_surname(name):
            return m.group(0)
        words = [w.word for w in _posseg().cut(name)]
        first = words[0]
        # A surname the segmenter split off (欧阳|娜娜, 王|芳) takes the next word as its given name.
        if (first in SURNAMES or first in COMPOUND_SURNAMES) and len(words) > 1 and len(words[1]) <= 2:
            first += words[1]
        elif len(first) < 2 or len(first) > 4:
            first = name[:3] if name[:2] in COMPOUND_SURNAMES else name[:2]
        return m.group(0)[: m.start(2) - m.start(0)] + NAME + name[len(first) :]

    text = _NAME_CUE.sub(cue, text)
    text = _FAMILIAR.sub(lambda m: m.group(0) if m.group(0) in KNOWN_NOT_NAMES else NAME, text)
    text = _SURNAME_TITLE.sub(lambda m: NAME if m.group(0) not in KNOWN_NOT_NAMES else m.group(0), text)
    out: list[str] = []
    words = list(_posseg().cut(text))
    for i, w in enumerate(words):
        word = w.word
        is_name_tag = w.flag in ("nr", "nrfg", "nrt")
        if is_name_tag and word not in KNOWN_NOT_NAMES and 2 <= len(word) <= 4 and _has_surname(word):
            out.append(NAME)
        elif (
            is_name_tag
            and len(word) == 1
            and word in SURNAMES
            and i > 0
            and words[i - 1].word in ("小", "老", "阿")
        ):
            out[-1] = NAME
        else:
            out.append(word)
    return "".join(out)


def scrub(text: str, keep: Iterable[str] = ()) -> str:
    """The narrative with personal data replaced by a bracketed label."""
    protected = sorted({k for k in keep if k and len(k) >= 2} | KNOWN_NOT_NAMES, key=len, reverse=True)
    slots: list[str] = []

    def shield(s: str) -> str:
        for term in protected:
            if term in s:
                slots.append(term)
                s = s.replace(term, chr(0xE000 + len(slots) - 1))
        return s

    text = shield(text)
    text = _EMAIL.sub(EMAIL, text)
    text = _ids(text)
    text = _ORDER_CUE.sub(lambda m: m.group(1) + ORDER, text)
    text = _MOBILE.sub(PHONE, text)
    text = _LANDLINE.sub(PHONE, text)
    text = _LONG_NUMBER.sub(ORDER, text)
    text = _ADDRESS.sub(ADDRESS, text)
    text = _UNIT.sub(ADDRESS, text)
    with _jieba_lock:
        text = _names(text)
    for i, term in enumerate(slots):
        text = text.replace(chr(0xE000 + i), term)
    return text
