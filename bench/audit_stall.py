#!/usr/bin/env python3
# Does a large audit stall the server? Starts `fanfare serve` (the binary given) on a fresh
# SQLite file, posts two audits of 8.7 MB of HTML at once, and polls /healthz every 20 ms
# meanwhile; prints the audits' times and the health checks' median and worst latency.
# Usage: bench/audit_stall.py target/release/fanfare   (Python 3, standard library only)
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request
binary=sys.argv[1]
d=tempfile.mkdtemp()
db=f"sqlite://{d}/a.db"
env={k:v for k,v in os.environ.items() if not k.startswith('FANFARE_')}
key=subprocess.run([binary,'admin','create-key','--name','t','--database-url',db],capture_output=True,text=True,env=env).stdout.strip().split('\n')[-1]
s=socket.socket(); s.bind(('127.0.0.1',0)); port=s.getsockname()[1]; s.close()
srv=subprocess.Popen([binary,'serve','--bind',f'127.0.0.1:{port}','--database-url',db],env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
base=f'http://127.0.0.1:{port}'
for _ in range(100):
    try: urllib.request.urlopen(base+'/healthz',timeout=1); break
    except Exception: time.sleep(0.1)
body='<html><head><title>Big</title><meta property="og:title" content="Big"></head><body>'+('<div class="a"><p>lorem <b>ipsum</b> dolor sit amet</p><img src="/i.png"></div>'*110000)+'</body></html>'
print('html MB', len(body)/1e6)
def audit():
    req=urllib.request.Request(base+'/api/v1/audit',data=json.dumps({'html':body,'base_url':'https://example.com/'}).encode(),headers={'Content-Type':'application/json','Authorization':'Bearer '+key})
    t=time.time(); r=urllib.request.urlopen(req,timeout=120); r.read(); print('audit', r.status, round(time.time()-t,2),'s')
lat=[]; stop=False
def poll():
    while not stop:
        t=time.time(); urllib.request.urlopen(base+'/healthz',timeout=30).read(); lat.append(time.time()-t); time.sleep(0.02)
p=threading.Thread(target=poll); p.start(); time.sleep(0.5)
ts=[threading.Thread(target=audit) for _ in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
stop=True; p.join(); srv.terminate(); srv.wait()
lat.sort(); print(binary.split('/')[-1], 'healthz during two audits: n', len(lat), 'median ms', round(lat[len(lat)//2]*1000,1), 'max ms', round(lat[-1]*1000,1))
