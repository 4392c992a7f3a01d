"""Where a scan comes from: the known cities, and the scanner reduced to what the platform keeps
(a salted hash, a recognised city, coordinates rounded to about a kilometre)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

# Coarse coordinates of major cities, so that a scan that sends only its city can still be placed.
CITY_COORDS = {
    "北京": (39.90, 116.41),
    "上海": (31.23, 121.47),
    "广州": (23.13, 113.26),
    "深圳": (22.54, 114.06),
    "杭州": (30.27, 120.16),
    "宁波": (29.87, 121.54),
    "南京": (32.06, 118.80),
    "成都": (30.66, 104.07),
    "重庆": (29.56, 106.55),
    "武汉": (30.59, 114.31),
    "西安": (34.34, 108.94),
    "天津": (39.13, 117.20),
    "苏州": (31.30, 120.59),
    "郑州": (34.75, 113.63),
    "长沙": (28.23, 112.94),
    "青岛": (36.07, 120.38),
    "厦门": (24.48, 118.09),
    "沈阳": (41.81, 123.43),
    "哈尔滨": (45.80, 126.53),
    "昆明": (25.04, 102.71),
    "乌鲁木齐": (43.83, 87.62),
    "拉萨": (29.65, 91.14),
    "海口": (20.04, 110.20),
    "香港": (22.32, 114.17),
}
# What a consumer app may send instead of the Chinese name.
CITY_ALIASES = {
    "beijing": "北京", "shanghai": "上海", "guangzhou": "广州", "shenzhen": "深圳", "hangzhou": "杭州",
    "ningbo": "宁波", "nanjing": "南京", "chengdu": "成都", "chongqing": "重庆", "wuhan": "武汉",
    "xian": "西安", "xi'an": "西安", "tianjin": "天津", "suzhou": "苏州", "zhengzhou": "郑州",
    "changsha": "长沙", "qingdao": "青岛", "xiamen": "厦门", "shenyang": "沈阳", "harbin": "哈尔滨",
    "kunming": "昆明", "urumqi": "乌鲁木齐", "lhasa": "拉萨", "haikou": "海口", "hong kong": "香港",
    "hongkong": "香港",
}  # fmt: skip
NEAREST_CITY_KM = 100.0  # coordinates this close to a known city are shown as that city


def recognised_city(name: str | None) -> str:
    """The platform's name for a city a scan names, or "" for anything else.

    The first scan's place is shown to everyone who scans the code later, so free text from a
    consumer (a name, an address, a slur) must never reach it: only a city in CITY_COORDS does."""
    text = (name or "").strip()
    if text in CITY_COORDS:
        return text
    if text.endswith("市") and text[:-1] in CITY_COORDS:
        return text[:-1]
    return CITY_ALIASES.get(text.lower().replace("-", " ").removesuffix(" city"), "")


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def nearest_city(lat: float, lon: float) -> str:
    """The known city within NEAREST_CITY_KM of a point, or ""."""
    best, best_km = "", NEAREST_CITY_KM
    for city, coords in CITY_COORDS.items():
        if abs(coords[0] - lat) > 1.0:  # 100 km is under a degree of latitude: skip the trigonometry
            continue
        km = haversine_km((lat, lon), coords)
        if km <= best_km:
            best, best_km = city, km
    return best


@dataclass
class Client:
    """What a scan says about where it came from, reduced to what we keep."""

    client_hash: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def from_request(cls, salt: bytes, address: str, agent: str, city: str | None, loc: str | None) -> Client:
        digest = hashlib.sha256(salt + address.encode() + b"\x00" + agent.encode()).hexdigest()[:32]
        lat = lon = None
        place = recognised_city(city)
        if loc:
            try:
                a, b = (float(x) for x in loc.split(",", 1))
                if -90 <= a <= 90 and -180 <= b <= 180:
                    # About 1 km: enough to tell cities apart, too coarse to find a home.
                    lat, lon = round(a, 2), round(b, 2)
            except ValueError:
                pass
        if lat is None and place in CITY_COORDS:
            lat, lon = CITY_COORDS[place]
        if not place and lat is not None and lon is not None:
            # Shown to later scanners: a city, never this consumer's own coordinates.
            place = nearest_city(lat, lon)
        return cls(digest, place, lat, lon)
