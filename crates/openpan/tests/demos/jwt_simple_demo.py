# The platform document's Python jwt_simple demo. Only the constants at the top differ: they
# come from the environment so the test suite can point the demo at a running openpan.
import hashlib
import json
import os
import random
import time
import base64
import requests

enterprise_id = int(os.environ["OPENPAN_ENTERPRISE_ID"])
user_id = int(os.environ["OPENPAN_USER_ID"])
client_id = os.environ["OPENPAN_CLIENT_ID"]
client_secret = os.environ["OPENPAN_CLIENT_SECRET"]
oauth_url = os.environ["OPENPAN_OAUTH_URL"]


class Test():
    def jwt_token(id, type):
        jti = "".join(random.sample('abcdefghijklmnopqrstuvwxyz!@#$%^&*1234567890', 16)).replace(' ', '')
        m = hashlib.md5()
        m.update(jti.encode("utf-8"))
        jti_md5 = m.hexdigest()
        sub_type = ''
        if(type == 'enterprise'):
            sub_type = "enterprise"
        elif(type == 'user'):
            sub_type = "user"
        payload = {
            "yifangyun_sub_type": sub_type,
            "sub": id,
            "exp": int(time.time()) + 60,
            "iat": int(time.time()),
            "jti": jti_md5,
        }
        headers = {
            'Authorization': 'Basic ' + base64.b64encode((client_id + ":" + client_secret).encode('utf-8')).decode('ascii')
        }
        url = oauth_url + '/oauth/token?grant_type=jwt_simple&assertion=' + base64.b64encode(json.dumps(payload).encode('utf-8')).decode('ascii')
        return requests.post(url, headers=headers).text

    enterprise_token = jwt_token(enterprise_id, 'enterprise')
    print('enterprise_token:' + enterprise_token)
    user_token = jwt_token(user_id, 'user')
    print('user_token:' + user_token)
